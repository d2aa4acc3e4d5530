"""Reads of the division tree, always through the actor's scope."""

from __future__ import annotations

from creditvillage.core.scope import Actor, access, significant_prefix
from creditvillage.regions.models import Region


def normalize_code(code: str) -> str:
    """Accept 2/4/6/9/12-digit codes; anything else is returned unchanged (and will not be found)."""
    code = code.strip()
    if code.isdigit() and len(code) in (2, 4, 6, 9):
        return code.ljust(12, "0")
    return code


def access_region(actor: Actor | None, code: str) -> Region:
    """The region if the actor may see it, else NotFound (missing and out of scope look the same)."""
    return access(Region.objects.all(), actor, normalize_code(code))


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
