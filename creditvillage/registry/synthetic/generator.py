"""The synthetic archive generator: one village's households at a time, drawn with numpy.

A block of households is built column by column (numpy draws, then polars tables), never one
Python object per person, so a county of 100,000 households takes a second or two.
"""

from __future__ import annotations

import math
import random

import numpy as np

from creditvillage.registry.synthetic import pools
from creditvillage.registry.synthetic.block import BlockBuilder
from creditvillage.registry.synthetic.numbers import ResidentIdAllocator, make_uscc
from creditvillage.registry.synthetic.shapes import YUAN, ArchiveBlock, CollectionMix, CollectiveSpec, VillageSpec


class ArchiveGenerator:
    """Synthetic households, entities and collectives for the villages of one county.

    ``village()`` gives a village's traits; ``block()`` its households (call it for the
    villages in a fixed order: ID numbers are unique across the county in that order);
    ``collective()`` its collective. The same seed and order give exactly the same output.
    """

    def __init__(self, *, county_code: str, seed: int = 0, mix: CollectionMix | None = None) -> None:
        self.county_code = county_code
        self.seed = seed
        self.mix = mix or CollectionMix()
        self.ids = ResidentIdAllocator(county_code)
        self._entities = 0

    def _random(self, code: str, stream: str) -> random.Random:
        return random.Random(f"creditvillage-synthetic:{self.seed}:{code}:{stream}")

    def village(self, code: str, name: str, township_name: str) -> VillageSpec:
        """The village's industries, clan surname (周 in 周庵村), secretary, groups, grids, land."""
        rng = self._random(code, "village")
        clan = name[0] if name[0] in pools.SURNAME_SET else pools.SURNAMES.pick(rng)
        surname = clan if rng.random() < 0.5 else pools.SURNAMES.pick(rng)
        area = round(rng.uniform(4.0, 14.0), 2)
        return VillageSpec(
            code=code,
            name=name,
            township_name=township_name,
            industries=tuple(rng.sample(list(pools.INDUSTRIES), 3)),
            clan_surname=clan,
            party_secretary=pools.person_name(rng, surname, rng.random() < 0.85, 1972),
            groups=rng.randint(6, 10),
            grids=rng.randint(3, 5),
            area_km2=area,
            arable_land_mu=round(area * rng.uniform(450, 750), 1),
            collective_income_fen=round(max(rng.lognormvariate(math.log(300_000), 0.45), 100_000) / 1000) * 1000 * YUAN,
        )

    def collective(self, village: VillageSpec, members_count: int) -> CollectiveSpec:
        """The village collective economic organisation (股份经济合作社): USCC ``N2`` + county code."""
        rng = self._random(village.code, "collective")
        assets = round(rng.uniform(1_000_000, 8_000_000) / 1000) * 1000
        income = village.collective_income_fen
        return CollectiveSpec(
            name=f"{village.township_name}{village.name}股份经济合作社",
            uscc=make_uscc("N2", self.county_code, f"MF{village.code[6:9]}0{village.code[9:]}"),
            legal_rep_name=village.party_secretary,
            members_count=members_count,
            assets_fen=assets * YUAN,
            debts_fen=round(assets * rng.uniform(0.0, 0.2) / 1000) * 1000 * YUAN,
            annual_income_fen=income,
            operating_income_fen=round(income * rng.uniform(0.3, 0.8) / (100 * YUAN)) * 100 * YUAN,
        )

    def block(self, village: VillageSpec, count: int, *, start: int = 1) -> ArchiveBlock:
        """Households ``start`` … ``start + count - 1`` of ``village`` (numbered ``<code>0001`` …)."""
        rng = np.random.default_rng([self.seed, int(village.code), start])
        return BlockBuilder(self, village, rng, count, start).build()

    def next_entity_serial(self) -> int:
        self._entities += 1
        return self._entities
