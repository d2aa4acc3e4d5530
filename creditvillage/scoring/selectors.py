"""Reads of scoring models, evaluations, explanations of stored ratings and simulations.

Models are configuration (not regional): operators and up read them (``models_visible``).
Explanations of ratings go through ``Rating.objects.visible_to``; simulations through the
actor's ``view_stats`` scope over the region.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from django.db.models import Prefetch, QuerySet

from creditvillage.accounts.roles import Action
from creditvillage.core.errors import NotFound, PermissionDenied
from creditvillage.core.scope import Actor, code_range, significant_prefix
from creditvillage.rating.models import Rating
from creditvillage.regions.models import Region
from creditvillage.scoring import engine
from creditvillage.scoring.batch import ensure_defaults, iter_chunks, normalize_region, resolve_version, to_columns
from creditvillage.scoring.indicators import indicators_refresh, indicators_stale
from creditvillage.scoring.models import Grade, ModelVersion, ScoringModel, SubjectIndicators, VersionStatus

OPERATOR_ACTIONS = (Action.CONFIGURE, Action.RATE, Action.MANAGE_USERS)


def is_operator(actor: Actor | None) -> bool:
    """Operators and up: administrators, township and village operators (not collectors, banks…)."""
    if actor is None or not actor.is_authenticated:
        return False
    return actor.is_superuser or any(actor.grants_for(action) for action in OPERATOR_ACTIONS)


def can_configure(actor: Actor | None) -> bool:
    return (
        actor is not None
        and actor.is_authenticated
        and (actor.is_superuser or bool(actor.grants_for(Action.CONFIGURE)))
    )


def require_operator(actor: Actor | None) -> None:
    if not is_operator(actor):
        raise PermissionDenied()


def model_list(actor: Actor | None) -> list[ScoringModel]:
    """Every model with its versions (newest first); operators and up."""
    require_operator(actor)
    ensure_defaults()
    versions = ModelVersion.objects.select_related("grade_scheme", "activated_by").order_by("-number")
    models = ScoringModel.objects.prefetch_related(Prefetch("versions", queryset=versions)).order_by("code")
    # Households first (what most runs rate), then entities, collectives, villages.
    return sorted(models, key=lambda m: SUBJECT_ORDER.get(m.subject_type, len(SUBJECT_ORDER)))


SUBJECT_ORDER = {"household": 0, "entity": 1, "collective": 2, "village": 3}


def version_get(actor: Actor | None, pk: Any) -> ModelVersion:
    require_operator(actor)
    version = (
        ModelVersion.objects.select_related("model", "grade_scheme").filter(pk=pk).first()
        if str(pk).isdigit()
        else None
    )
    if version is None:
        raise NotFound()
    return version


def version_tables(version: ModelVersion) -> dict[str, Any]:
    """A version laid out for its page: one table per block (bins as labelled rows), vetoes, grades."""
    cm = engine.compile_version(version)
    indicators = {i.code: i for i in version.indicators.all()}
    blocks = []
    for b, block in enumerate(version.blocks.all().order_by("order")):
        rows = []
        for ind in cm.indicators:
            rules: list[tuple[str, Any]]
            if ind.block != b:
                continue
            if ind.kind == "bins":
                rules = [(ind.bin_label(j), engine._pts(p)) for j, p in enumerate(ind.table.tolist())]
            elif ind.kind == "categories":
                rules = [(c, engine._pts(p)) for c, p in zip(ind.categories, ind.table.tolist(), strict=False)]
            else:
                rules = [(f"× {ind.scale:g}", f"≤ {engine._pts(ind.cap or 0)}")]
            rows.append({"indicator": indicators[ind.code], "rules": rules, "missing": engine._pts(ind.missing)})
        blocks.append({"block": block, "rows": rows})
    grades = list(version.grade_scheme.grades.order_by("order"))
    return {"blocks": blocks, "vetoes": list(version.vetoes.all()), "grades": grades, "compiled": cm}


def models_payload(actor: Actor | None) -> list[dict[str, Any]]:
    """``GET /scoring/models``: codes, versions, indicators (with bins/categories) and grade schemes."""
    out = []
    for model in model_list(actor):
        versions = []
        for version in model.versions.all():
            spec = engine.version_spec(version)
            versions.append(
                {
                    "number": version.number,
                    "status": version.status,
                    "effective_from": version.effective_from,
                    "activated_at": version.activated_at,
                    "change_reason": version.change_reason,
                    "combine": version.combine,
                    "blocks": [
                        {
                            "code": b["code"],
                            "name": b["name"],
                            "cap": float(b["cap"]),
                            "indicators": [_indicator_out(i) for i in b["indicators"]],
                        }
                        for b in spec["blocks"]
                    ],
                    "vetoes": spec["vetoes"],
                    "grade_scheme": {
                        "code": spec["scheme"]["code"],
                        "name": version.grade_scheme.name,
                        "veto_grade": spec["scheme"]["veto_grade"],
                        "grades": [
                            {
                                "code": g["code"],
                                "min_score": None if g["min_score"] is None else float(g["min_score"]),
                                "credit_subject": g["credit_subject"],
                            }
                            for g in spec["scheme"]["grades"]
                        ],
                    },
                }
            )
        out.append(
            {
                "code": model.code,
                "subject_type": model.subject_type,
                "name": model.name,
                "is_default": model.is_default,
                "active_version": next((v["number"] for v in versions if v["status"] == VersionStatus.ACTIVE), None),
                "versions": versions,
            }
        )
    return out


def _indicator_out(ind: dict[str, Any]) -> dict[str, Any]:
    def num(v: Any) -> float | None:
        return None if v is None else float(v)

    return {
        "code": ind["code"],
        "name": ind["name"],
        "source_field": ind["source_field"],
        "kind": ind["kind"],
        "closed": ind["closed"],
        "unit": ind["unit"],
        "bins": [{"upper": num(b.get("upper")), "points": num(b.get("points"))} for b in ind["bins"] or []],
        "categories": {k: num(v) for k, v in (ind["categories"] or {}).items()},
        "scale": num(ind["scale"]),
        "cap": num(ind["cap"]),
        "missing_points": num(ind["missing_points"]),
    }


def evaluate(actor: Actor | None, *, model_code: str, indicators: dict[str, Any]) -> dict[str, Any]:
    """``POST /scoring/evaluate``: one what-if through the active version of ``model_code``."""
    require_operator(actor)
    version = resolve_version(model_code)
    return engine.evaluate_one(engine.compile_version(version), indicators, strict=True)


# ------------------------------------------------------------------------------------------
# Explanations of stored ratings
# ------------------------------------------------------------------------------------------


def _row_values(row: SubjectIndicators, cm: engine.CompiledModel) -> dict[str, Any]:
    fields = [i.source_field for i in cm.indicators] + [v.source_field for v in cm.vetoes]
    return {f: getattr(row, f) for f in fields}


def _veto_bases(subject_type: str, subject_id: int, region_code: str) -> dict[str, str]:
    from creditvillage.civility.selectors import household_civility_vetoes
    from creditvillage.rating.selectors import negative_hits

    bases: dict[str, str] = {}
    entries = negative_hits(region_code).get(subject_type, {}).get(subject_id, [])
    if entries:
        bases["negative_list"] = "；".join(f"{e.source}：{e.basis}" for e in entries)
    if subject_type == "household":
        civility = household_civility_vetoes(region_code).get(subject_id)
        if civility:
            bases["civility"] = civility
    return bases


def explain_rating(actor: Actor | None, rating: Rating) -> dict[str, Any]:
    """The explanation of a stored rating, recomputed from its subject's indicator row and the model
    version that made it (``stale`` when the archive has changed since and the score differs)."""
    if not Rating.objects.visible_to(actor, Action.VIEW).filter(pk=rating.pk).exists():
        raise NotFound()
    version = (
        ModelVersion.objects.filter(model__code=rating.model_code, number=rating.model_version)
        .select_related("model", "grade_scheme")
        .first()
    )
    row = SubjectIndicators.objects.filter(subject_type=rating.subject_type, subject_id=rating.subject_id).first()
    if version is None or row is None:
        raise NotFound()
    cm = engine.compile_version(version)
    bases = _veto_bases(rating.subject_type, rating.subject_id, rating.region_code)
    result = engine.evaluate_one(cm, _row_values(row, cm), bases=bases)
    result["stale"] = Decimal(str(result["score"])) != Decimal(rating.score) or result["grade"] != rating.grade
    result["rating_id"] = rating.pk
    result["computed_at"] = row.computed_at
    return result


@dataclass
class SubjectScore:
    grade: str
    score: Decimal
    vetoed: bool
    credit_subject: bool
    explanation: dict[str, Any]


def evaluate_subject(*, subject_type: str, subject_id: int, model_code: str | None = None) -> SubjectScore:
    """Re-score one subject now (its village's indicator rows refreshed first) with the active
    version of its default (or the named) model. Unscoped: callers checked the subject."""
    row = SubjectIndicators.objects.filter(subject_type=subject_type, subject_id=subject_id).first()
    region = row.region_code if row else _subject_region(subject_type, subject_id)
    prefix = significant_prefix(region)
    indicators_refresh(prefix, subject_types=(subject_type,))
    row = SubjectIndicators.objects.filter(subject_type=subject_type, subject_id=subject_id).first()
    if row is None:
        raise NotFound()
    version = resolve_version(model_code, subject_type)
    cm = engine.compile_version(version)
    result = engine.evaluate_one(cm, _row_values(row, cm), bases=_veto_bases(subject_type, subject_id, region))
    return SubjectScore(
        grade=result["grade"],
        score=Decimal(str(result["score"])).quantize(Decimal("0.01")),
        vetoed=result["vetoed"],
        credit_subject=result["credit_subject"],
        explanation=result,
    )


def _subject_region(subject_type: str, subject_id: int) -> str:
    from creditvillage.registry.models import BusinessEntity, Collective, Household

    model: Any = {"household": Household, "entity": BusinessEntity, "collective": Collective}.get(subject_type)
    code = model.objects.filter(pk=subject_id).values_list("region_id", flat=True).first() if model else None
    if code is None:
        raise NotFound()
    return str(code)


# ------------------------------------------------------------------------------------------
# Simulation: a draft against a region's current indicators, grade shifts per village
# ------------------------------------------------------------------------------------------


def simulation_regions(actor: Actor | None) -> QuerySet[Region]:
    """Regions (county, township) the actor may simulate over: ``view_stats`` scope."""
    return Region.objects.visible_to(actor, Action.VIEW_STATS).filter(level__in=["county", "township"]).order_by("code")


def simulate(actor: Actor | None, *, version: ModelVersion, region_code: str, chunk: int = 200_000) -> dict[str, Any]:
    """Score ``version`` (usually a draft) and the model's active version over every subject under
    the region; per village: subjects, grade counts under each, upgrades, downgrades, credit subjects."""
    if not can_configure(actor):
        raise PermissionDenied()
    code = normalize_region(region_code)
    region = Region.objects.visible_to(actor, Action.VIEW_STATS).filter(pk=code).first()
    if region is None:
        raise NotFound()
    prefix = significant_prefix(code)
    new = engine.compile_version(version)
    active = ModelVersion.objects.filter(model=version.model, status=VersionStatus.ACTIVE).first()
    old = engine.compile_version(active) if active is not None else new
    if indicators_stale(prefix, new.subject_type):
        indicators_refresh(prefix, subject_types=(new.subject_type,))
    rank_old = _grade_rank(old)
    rank_new = _grade_rank(new)
    villages: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"subjects": 0, "up": 0, "down": 0, "same": 0, "credit_old": 0, "credit_new": 0, "old": {}, "new": {}}
    )
    # The two models may read different fields: read the union once per chunk.
    union = engine.CompiledModel(
        **{**new.__dict__, "indicators": new.indicators + old.indicators, "vetoes": new.vetoes + old.vetoes}
    )
    for part in iter_chunks(union, prefix, chunk, convert=False):
        a = engine.score_columns(old, *to_columns(old, part.raw))
        b = engine.score_columns(new, *to_columns(new, part.raw))
        regions = part.frame["region_code"].to_numpy()
        ra, rb = rank_old.take(a[1]), rank_new.take(b[1])
        for village in np.unique(regions).tolist():
            mask = regions == village
            row = villages[village]
            row["subjects"] += int(mask.sum())
            row["up"] += int((rb[mask] < ra[mask]).sum())
            row["down"] += int((rb[mask] > ra[mask]).sum())
            row["same"] += int((rb[mask] == ra[mask]).sum())
            row["credit_old"] += int(a[2][mask].sum())
            row["credit_new"] += int(b[2][mask].sum())
            for key, cm, grades in (("old", old, a[1]), ("new", new, b[1])):
                counts = np.bincount(grades[mask], minlength=len(cm.grades))
                for g, n in zip(cm.grades, counts.tolist(), strict=True):
                    if n:
                        row[key][g] = row[key].get(g, 0) + n
    names = dict(Region.objects.filter(code__in=list(villages)).values_list("code", "name"))
    rows = [{"code": c, "name": names.get(c, c), **v} for c, v in sorted(villages.items())]
    totals = {k: sum(r[k] for r in rows) for k in ("subjects", "up", "down", "same", "credit_old", "credit_new")}
    return {
        "region": region,
        "version": version,
        "active": active,
        "grades_old": list(old.grades),
        "grades_new": list(new.grades),
        "villages": rows,
        "totals": totals,
        "chart": {
            "labels": [r["name"] for r in rows],
            "up": [r["up"] for r in rows],
            "down": [r["down"] for r in rows],
        },
    }


def _grade_rank(cm: engine.CompiledModel) -> np.ndarray:
    """A comparable rank per grade index (0 best; the veto grade worst) for shift counting."""
    return np.arange(len(cm.grades))


def grade_rows(version: ModelVersion) -> list[Grade]:
    return list(version.grade_scheme.grades.order_by("order"))


def region_prefix_range(code: str) -> tuple[str, str]:
    return code_range(significant_prefix(code))
