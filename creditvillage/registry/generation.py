"""Synthetic archives at scale for one county (``creditvillage generate``), and the pieces the demo reuses.

The county gets townships (about 12 villages each; codes 100-199 towns, then 200-399
townships), villages (codes 200-399 in their township), villager groups, grids, village files
and collectives, then households streamed in chunks through :class:`ArchiveWriter` so memory
stays flat. Deterministic for a seed.
"""

from __future__ import annotations

import csv
import math
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from django.db import connection, models, transaction
from django.db.models import QuerySet

from creditvillage.core.errors import DomainError, ValidationFailed
from creditvillage.core.identifiers import PROVINCES, validate_division_code
from creditvillage.core.scope import code_range
from creditvillage.regions.models import Grid, Region, VillagerGroup
from creditvillage.registry.bulkload import DETAIL_MODELS, ArchiveWriter, WriteCounts
from creditvillage.registry.models import BusinessEntity, Collective, Household, VillageProfile
from creditvillage.registry.synthetic import ArchiveBlock, ArchiveGenerator, CollectionMix, VillageSpec, place_names

__all__ = [
    "GenerateReport",
    "archives_generate",
    "archives_write",
    "collectives_create",
    "village_places_create",
]

VILLAGES_PER_TOWNSHIP = 12
TOWNSHIP_CODES = (*range(100, 200), *range(200, 400))  # towns (镇) first, then townships (乡)
VILLAGE_CODES = range(200, 400)
CHUNK_HOUSEHOLDS = 10_000  # households per transaction
BLOCK_HOUSEHOLDS = 5_000  # most households drawn at once for one village
DEMO_DIVISIONS = Path(__file__).resolve().parent.parent / "regions" / "data" / "demo_divisions.csv"

Progress = Callable[[int, int], None]


@dataclass
class GenerateReport:
    """What ``archives_generate`` wrote and how long it took."""

    county: str
    townships: int
    villages: int
    households: int
    persons: int
    rows: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.households / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        return (
            f"generated county={self.county} villages={self.villages} households={self.households} "
            f"persons={self.persons} rows={self.rows} seconds={self.seconds:.2f} "
            f"households_per_s={self.per_second:.0f}"
        )


# --- The command's service -----------------------------------------------------------------------


def archives_generate(
    *,
    county: str,
    villages: int,
    households: int,
    seed: int = 0,
    replace: bool = False,
    progress: Progress | None = None,
) -> GenerateReport:
    """Create ``villages`` villages under ``county`` and ``households`` synthetic households in them.

    Missing province, city and county regions are created (names from the demo division file,
    else illustrative). Refuses with ``county_has_archives`` when the county already holds
    households, unless ``replace``, which first deletes every household of the county (with
    members, assets, consents …), its entities and collectives. Each chunk of households is its
    own transaction; ``progress(done, total)`` is called after each. Runs ``ANALYZE`` on
    PostgreSQL at the end so lists are planned well at once.
    """
    started = time.perf_counter()
    county = _county_code(county)
    if villages < 1 or households < 0:
        raise ValidationFailed("村数至少为1，户数不能为负", {"villages": villages, "households": households})
    plan = _plan(county, villages)
    _refuse_or_wipe(county, replace)
    with transaction.atomic():
        regions = _create_tree(county, plan, seed)
    gen = ArchiveGenerator(county_code=county[:6], seed=seed)
    specs = [gen.village(code, name, township) for code, name, township in regions]
    with transaction.atomic():
        village_places_create(specs)
    counts = [households // villages + (1 if i < households % villages else 0) for i in range(villages)]
    written = archives_write(gen, list(zip(specs, counts, strict=True)), progress=progress)
    with transaction.atomic():
        collectives_create(gen, specs, written.persons_by_village)
        _set_household_totals(dict(zip((s.code for s in specs), counts, strict=True)))
    analyze_registry()
    return GenerateReport(
        county=county,
        townships=len({code[:9] for code, _name, _township in regions}),
        villages=villages,
        households=written.counts.households,
        persons=written.counts.persons,
        rows=written.counts.total,
        seconds=time.perf_counter() - started,
    )


def _county_code(code: str) -> str:
    result = validate_division_code(code)
    if not result.valid:
        raise ValidationFailed(str(result.errors[0].message), {"county": code})
    if result.details["level"] != "county":
        raise ValidationFailed(f"{code}不是县级区划代码（应为6位，如341181）", {"county": code})
    return result.normalized


def _plan(county: str, villages: int) -> list[tuple[str, int]]:
    """(township code, villages in it) for each township: about 12 villages each, at most 200."""
    per = VILLAGES_PER_TOWNSHIP
    townships = math.ceil(villages / per)
    if townships > len(TOWNSHIP_CODES):
        per = math.ceil(villages / len(TOWNSHIP_CODES))
        townships = math.ceil(villages / per)
    if per > len(VILLAGE_CODES):
        limit = len(TOWNSHIP_CODES) * len(VILLAGE_CODES)
        raise ValidationFailed(f"一个县最多{limit}个村（{len(TOWNSHIP_CODES)}个乡镇×200个村）", {"villages": villages})
    sizes = [villages // townships + (1 if i < villages % townships else 0) for i in range(townships)]
    return [(f"{county[:6]}{TOWNSHIP_CODES[i]:03d}000", size) for i, size in enumerate(sizes)]


def _refuse_or_wipe(county: str, replace: bool) -> None:
    lo, hi = code_range(county[:6])
    existing = Household.objects.filter(region_id__gte=lo, region_id__lte=hi)
    if not existing.exists():
        return
    if not replace:
        raise DomainError(
            "county_has_archives",
            f"{county[:6]}已有{existing.count()}户档案；如需重新生成，请加 --replace（将删除该县全部农户档案）",
        )
    with transaction.atomic():
        _wipe(existing)


def _wipe(households: QuerySet[Household]) -> None:
    """Delete ``households`` and what hangs on them, set-based (the ORM's collector would load every row).

    Rows of models that point at a household are deleted (``CASCADE``) or detached (``SET_NULL``);
    any other rule (``PROTECT``) stops the wipe. Entities and collectives of the villages go too.
    """
    ids = households.values("pk")
    for relation in Household._meta.related_objects:
        model = cast(type[models.Model], relation.related_model)
        rows = model._default_manager.filter(**{f"{relation.field.name}__in": ids})
        if relation.on_delete is models.SET_NULL:
            rows.update(**{relation.field.name: None})
        elif relation.on_delete is models.CASCADE:
            rows.delete()
        elif rows.exists():
            raise DomainError(
                "county_archives_protected", f"{relation.related_model._meta.verbose_name}仍引用这些农户，无法替换"
            )
    regions = households.values("region_id")
    BusinessEntity.objects.filter(region_id__in=regions).delete()
    Collective.objects.filter(region_id__in=regions).delete()
    query, params = households.values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Household._meta.db_table} WHERE id IN ({query})", params)  # noqa: S608


# --- The division tree ---------------------------------------------------------------------------


def _known_names() -> dict[str, str]:
    with DEMO_DIVISIONS.open(encoding="utf-8-sig") as file:
        return {row["code"].ljust(12, "0"): row["name"] for row in csv.DictReader(file)}


def _create_tree(county: str, plan: list[tuple[str, int]], seed: int) -> list[tuple[str, str, str]]:
    """Create what is missing of the tree; (village code, village name, township name) in code order."""
    known = _known_names()
    ancestors = [(county[:2].ljust(12, "0"), "province"), (county[:4].ljust(12, "0"), "city"), (county, "county")]
    for code, level in ancestors:
        name = known.get(code) or (PROVINCES.get(code[:2]) if level == "province" else None)
        _ensure(code, name or _illustrative_name(code, level), level, _parent(code), illustrative=name is None)
    codes = [t for t, _ in plan] + [f"{t[:9]}{VILLAGE_CODES[j]:03d}" for t, size in plan for j in range(size)]
    stored = Region.objects.in_bulk(codes)
    rng = random.Random(f"creditvillage-generate:{seed}:{county}")
    lo, hi = code_range(county[:6])
    taken = set(Region.objects.filter(code__gte=lo, code__lte=hi).values_list("name", flat=True))
    town_names = iter(place_names(rng, len(plan), "镇", taken))
    village_names = iter(place_names(rng, sum(size for _t, size in plan), "村", taken))
    new: list[Region] = []
    result: list[tuple[str, str, str]] = []
    for township, size in plan:
        township_name = _name_or_new(stored, township, town_names, new, "township", county)
        for j in range(size):
            code = f"{township[:9]}{VILLAGE_CODES[j]:03d}"
            result.append((code, _name_or_new(stored, code, village_names, new, "village", township), township_name))
    Region.objects.bulk_create(new, batch_size=500)
    return result


def _name_or_new(
    stored: dict[str, Region], code: str, names: Iterator[str], new: list[Region], level: str, parent: str
) -> str:
    region = stored.get(code)
    if region is not None:
        return region.name
    name = next(names)
    new.append(Region(code=code, name=name, level=level, parent_id=parent, is_illustrative=True))
    return name


def _ensure(code: str, name: str, level: str, parent: str | None, *, illustrative: bool) -> None:
    Region.objects.get_or_create(
        code=code, defaults={"name": name, "level": level, "parent_id": parent, "is_illustrative": illustrative}
    )


def _parent(code: str) -> str | None:
    for length in (6, 4, 2):
        if code[length:].strip("0") and code[:length].strip("0"):
            return code[:length].ljust(12, "0")
    return None


def _illustrative_name(code: str, level: str) -> str:
    return {"province": f"示意省{code[:2]}", "city": f"示意市{code[2:4]}", "county": f"示意县{code[4:6]}"}[level]


# --- Places, files and collectives for villages -------------------------------------------------


def village_places_create(specs: Sequence[VillageSpec]) -> None:
    """Villager groups (第N组), grids (第N网格) and the village file for each village, where missing."""
    codes = [spec.code for spec in specs]
    have_groups = set(VillagerGroup.objects.filter(village_id__in=codes).values_list("village_id", "number"))
    have_grids = set(Grid.objects.filter(village_id__in=codes).values_list("village_id", "number"))
    have_files = set(VillageProfile.objects.filter(region_id__in=codes).values_list("region_id", flat=True))
    groups, grids, files = [], [], []
    for spec in specs:
        groups += [
            VillagerGroup(village_id=spec.code, number=n, name=f"{spec.name}第{n}村民小组")
            for n in range(1, spec.groups + 1)
            if (spec.code, n) not in have_groups
        ]
        grids += [
            Grid(village_id=spec.code, number=n, name=f"{spec.name}第{n}网格")
            for n in range(1, spec.grids + 1)
            if (spec.code, n) not in have_grids
        ]
        if spec.code not in have_files:
            files.append(
                VillageProfile(
                    region_id=spec.code,
                    party_secretary=spec.party_secretary,
                    area_km2=round(spec.area_km2, 2),
                    arable_land_mu=round(spec.arable_land_mu, 1),
                    main_industries="、".join(spec.industries),
                    collective_income_fen=spec.collective_income_fen,
                )
            )
    VillagerGroup.objects.bulk_create(groups, batch_size=500)
    Grid.objects.bulk_create(grids, batch_size=500)
    VillageProfile.objects.bulk_create(files, batch_size=500)


def collectives_create(gen: ArchiveGenerator, specs: Sequence[VillageSpec], members: dict[str, int]) -> None:
    """One village collective (股份经济合作社) per village that has none; members = registered persons."""
    have = set(Collective.objects.filter(region_id__in=[s.code for s in specs]).values_list("region_id", flat=True))
    rows = []
    for spec in specs:
        if spec.code in have:
            continue
        collective = gen.collective(spec, members.get(spec.code, 0))
        rows.append(Collective(region_id=spec.code, status="archived", channel="department", **collective._asdict()))
    Collective.objects.bulk_create(rows, batch_size=500)
    populations = {code: count for code, count in members.items() if count}
    files = list(VillageProfile.objects.filter(region_id__in=populations))
    for profile in files:
        profile.population = populations[profile.region_id]
    VillageProfile.objects.bulk_update(files, ["population"], batch_size=500)


def _set_household_totals(totals: dict[str, int]) -> None:
    regions = list(Region.objects.filter(code__in=totals))
    for region in regions:
        region.households_total = totals[region.code]
    Region.objects.bulk_update(regions, ["households_total"], batch_size=500)


# --- Streaming households into the database -----------------------------------------------------


@dataclass
class WriteResult:
    counts: WriteCounts
    persons_by_village: dict[str, int]


def archives_write(
    gen: ArchiveGenerator,
    plan: Sequence[tuple[VillageSpec, int]],
    *,
    progress: Progress | None = None,
    collected_by: dict[str, int] | None = None,
    mixes: dict[str, CollectionMix] | None = None,
    chunk: int = CHUNK_HOUSEHOLDS,
) -> WriteResult:
    """Generate and write ``count`` households for each (village, count), in chunks of ``chunk``.

    ``collected_by`` names the collector user per village code; ``mixes`` overrides the
    generator's status and channel mix per village. One transaction per chunk.
    """
    total = sum(count for _spec, count in plan)
    persons: dict[str, int] = {}
    pending: list[ArchiveBlock] = []
    done = 0
    default_mix = gen.mix
    with ArchiveWriter() as writer:

        def flush() -> None:
            nonlocal done
            writer.submit(pending)
            done += sum(len(block) for block in pending)
            pending.clear()
            if progress is not None:
                progress(done, total)

        for spec, count in plan:
            gen.mix = (mixes or {}).get(spec.code, default_mix)
            for start in range(1, count + 1, BLOCK_HOUSEHOLDS):
                block = gen.block(spec, min(BLOCK_HOUSEHOLDS, count - start + 1), start=start)
                block.collected_by_id = (collected_by or {}).get(spec.code)
                persons[spec.code] = persons.get(spec.code, 0) + len(block.tables["persons"]["household"])
                pending.append(block)
                if sum(len(b) for b in pending) >= chunk:
                    flush()
        gen.mix = default_mix
        if pending:
            flush()
    return WriteResult(writer.counts, persons)


def analyze_registry() -> None:
    """Refresh the planner's statistics after a bulk load (PostgreSQL; a no-op on SQLite).

    Outside a transaction the household table is also vacuumed, which sets its visibility map:
    a count under a region is then an index-only scan (measured: 32 ms → 10 ms for 111,000
    households). Autovacuum would do the same a little later.
    """
    if connection.vendor != "postgresql":
        return
    tables: list[type[models.Model]] = [*DETAIL_MODELS.values(), BusinessEntity, Region]
    names = [connection.ops.quote_name(m._meta.db_table) for m in tables]
    household = connection.ops.quote_name(Household._meta.db_table)
    with connection.cursor() as cursor:
        if connection.in_atomic_block:
            names.append(household)
        else:
            cursor.execute(f"VACUUM (ANALYZE) {household}")
        cursor.execute("ANALYZE " + ", ".join(names))
