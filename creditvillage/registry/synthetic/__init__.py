"""Synthetic archives (一户一档) for the demo and benchmarks: plausible Anhui rural households.

No ORM here: :class:`ArchiveGenerator` draws tables (polars) with numpy, seeded per village, so
the same seed gives the same rows; ``creditvillage.registry.bulkload`` writes them.

What it models (plausible figures, not statistics):

* households of 1-7 members: head, spouse, children, parents, or three generations with a
  child-in-law and grandchildren, with consistent ages;
* names from common surnames weighted by frequency (plus the village's clan surname, 周 in
  周庵村) and given names fitting the birth decade;
* resident ID numbers under the county's area code with real birth dates, the sex parity and the
  GB 11643 check character, unique across the county (:class:`ResidentIdAllocator`);
* political status (about 8% of adults party members), education, occupation, health, phones;
* assets (contracted and transferred land in 亩, housing, vehicles, machinery, livestock,
  deposits), income by source with a skewed distribution (median near 60,000 yuan a year), debts
  (a few overdue), insurance (almost everyone has medical and pension insurance);
* business entities with valid USCCs (91 enterprise, 92 individual business, 93 cooperative) and
  one village collective per village (N2).

Money is integer fen. A household's totals equal the sums of its detail rows.
"""

from creditvillage.registry.synthetic.generator import ArchiveGenerator
from creditvillage.registry.synthetic.numbers import ResidentIdAllocator, make_uscc
from creditvillage.registry.synthetic.pools import person_name, place_names
from creditvillage.registry.synthetic.shapes import (
    AS_OF,
    INCOME_YEAR,
    ArchiveBlock,
    CollectionMix,
    CollectiveSpec,
    VillageSpec,
)

__all__ = [
    "AS_OF",
    "INCOME_YEAR",
    "ArchiveBlock",
    "ArchiveGenerator",
    "CollectionMix",
    "CollectiveSpec",
    "ResidentIdAllocator",
    "VillageSpec",
    "make_uscc",
    "person_name",
    "place_names",
]
