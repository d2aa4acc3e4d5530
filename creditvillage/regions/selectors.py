"""Reads of the division tree, always through the actor's scope."""

from __future__ import annotations

import re

from creditvillage.core.errors import NotFound
from creditvillage.core.scope import Actor, access, significant_prefix
from creditvillage.regions.choices import RegionLevel
from creditvillage.regions.models import Region

_DIGITS = re.compile(r"[0-9]+")


def normalize_code(code: str) -> str:
    """Accept 2/4/6/9/12-digit codes; anything else is returned unchanged (and will not be found)."""
    code = code.strip()
    if _DIGITS.fullmatch(code) and len(code) in (2, 4, 6, 9):
        return code.ljust(12, "0")
    return code


def access_region(actor: Actor | None, code: str) -> Region:
    """The region if the actor may see it, else NotFound (missing and out of scope look the same).

    Anything but 12 ASCII digits after normalising is not a division code and is answered the
    same way without a query (PostgreSQL rejects a NUL in text with an error, not a miss).
    """
    normalized = normalize_code(code)
    if len(normalized) != 12 or not _DIGITS.fullmatch(normalized):
        raise NotFound()
    return access(Region.objects.all(), actor, normalized)


def region_children(actor: Actor | None, region: Region) -> list[Region]:
    return list(Region.objects.visible_to(actor).filter(parent=region).order_by("code"))


def region_list(actor: Actor | None) -> list[Region]:
    return list(Region.objects.visible_to(actor).order_by("code"))


def root_regions(actor: Actor | None) -> list[Region]:
    """The top-most regions the actor can see (their grants' regions, without nested duplicates)."""
    regions = region_list(actor)
    prefixes = sorted({significant_prefix(r.code) for r in regions}, key=len)
    tops: list[str] = []
    for prefix in prefixes:
        if not any(prefix.startswith(t) for t in tops):
            tops.append(prefix)
    wanted = {t.ljust(12, "0") for t in tops}
    return [r for r in regions if r.code in wanted]


def region_breadcrumbs(actor: Actor | None, region: Region) -> list[tuple[Region, bool]]:
    """The region's ancestors from the province down, each with whether the actor may open it."""
    ancestors = region.ancestors()
    visible = set(
        Region.objects.visible_to(actor).filter(code__in=[a.code for a in ancestors]).values_list("code", flat=True)
    )
    return [(a, a.code in visible) for a in ancestors]


def region_choices(actor: Actor | None, *, selected: str = "", limit: int = 400) -> list[Region]:
    """Regions to offer in a region filter, in tree order.

    Every visible region while there are at most ``limit``; past that (a county or province
    scope), villages and then townships are left out so the picker stays usable on a phone —
    they remain reachable from the region pages. The ``selected`` region is always offered.
    """
    queryset = Region.objects.visible_to(actor).order_by("code")
    regions: list[Region] = []
    for leave_out in ([], [RegionLevel.VILLAGE], [RegionLevel.VILLAGE, RegionLevel.TOWNSHIP]):
        regions = list(queryset.exclude(level__in=leave_out)[: limit + 1])
        if len(regions) <= limit:
            break
    regions = regions[:limit]
    code = normalize_code(selected) if selected else ""
    if code and all(r.code != code for r in regions):
        regions += list(queryset.filter(code=code))
        regions.sort(key=lambda r: r.code)
    return regions
