"""The scoring engine: one vectorised kernel for one subject and for ten million.

``compile_version`` turns a ``ModelVersion`` (rows) into a ``CompiledModel`` (numpy arrays);
``kernel`` scores N rows at once: per-indicator points (``searchsorted`` over bin edges, ``take``
over pre-coded categories), block sums clipped to their floor and cap, the total, vetoes, grade and
credit subject. Points are integer hundredths throughout, so the arithmetic is exact and the same
for N = 1 (``evaluate_one``, the API, a what-if) and N = 10,000,000 (a rating run).

The engine knows nothing of Django beyond ``compile_version``; ``compile_spec`` builds the same
thing from plain dicts (tests, benchmarks, simulations of unsaved drafts).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

import numpy as np

from creditvillage.core.errors import ValidationFailed

CENT = 100  # points are computed in hundredths
POINTS = np.int32


def _centi(value: Any) -> int:
    return int((Decimal(str(value)) * CENT).to_integral_value())


@dataclass(frozen=True)
class CompiledIndicator:
    code: str
    name: str
    source_field: str
    kind: str  # bins | categories | linear
    block: int
    closed: str = "left"
    unit: str = ""
    edges: np.ndarray = field(default_factory=lambda: np.zeros(0))  # bins: upper bounds of all but the last bin
    table: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=POINTS))  # points per bin / category (+missing)
    categories: tuple[str, ...] = ()
    missing: int = 0
    cap: int | None = None
    scale: float = 1.0

    @property
    def side(self) -> Literal["left", "right"]:
        # [a, b): a value equal to an edge belongs to the bin above → 'right'; (a, b] → 'left'.
        return "right" if self.closed == "left" else "left"

    def code_of(self, category: Any) -> int:
        """The pre-coded index of a category value; unknown and missing → the missing slot."""
        try:
            return self.categories.index(str(category))
        except ValueError:
            return len(self.categories)

    def bin_label(self, j: int) -> str:
        lows = [None, *self.edges.tolist()]
        highs = [*self.edges.tolist(), None]
        lo, hi = lows[j], highs[j]
        u = self.unit

        def fmt(v: float) -> str:
            return f"{v:g}"

        if lo is None and hi is None:
            return "全部"
        if self.closed == "left":
            if lo is None:
                return f"<{fmt(hi)}{u}"
            if hi is None:
                return f"≥{fmt(lo)}{u}"
            return f"{fmt(lo)}–<{fmt(hi)}{u}"
        if lo is None:
            return f"≤{fmt(hi)}{u}"
        if hi is None:
            return f">{fmt(lo)}{u}"
        return f">{fmt(lo)}–≤{fmt(hi)}{u}"

    def bin_value(self, j: int) -> float:
        """A representative value inside bin ``j`` (a bound it includes, else one unit inside)."""
        lows = [None, *self.edges.tolist()]
        highs = [*self.edges.tolist(), None]
        lo, hi = lows[j], highs[j]
        if lo is None and hi is None:
            return 0.0
        if self.closed == "left":
            return float(lo) if lo is not None else float(hi) - 1
        return float(hi) if hi is not None else float(lo) + 1


@dataclass(frozen=True)
class VetoSpec:
    code: str
    name: str
    source_field: str
    basis: str


@dataclass(frozen=True)
class CompiledModel:
    model_code: str
    version: int
    subject_type: str
    combine: str
    indicators: tuple[CompiledIndicator, ...]
    block_codes: tuple[str, ...]
    block_names: tuple[str, ...]
    block_caps: np.ndarray
    block_floors: np.ndarray
    block_starts: tuple[int, ...]  # first indicator index of each block (indicators sorted by block)
    vetoes: tuple[VetoSpec, ...]
    grades: tuple[str, ...]  # best first, then the veto grade last
    thresholds: np.ndarray  # ascending min scores (centi) of every grade but the bottom one
    credit: np.ndarray  # bool per grade (veto grade included, False)
    scheme_code: str = ""

    @property
    def veto_grade_index(self) -> int:
        return len(self.grades) - 1

    def grade_min(self, index: int) -> int | None:
        """Min score (centi) of grade ``index`` (0 = best); None for the bottom and veto grades."""
        n = len(self.thresholds)
        if index >= n:
            return None
        return int(self.thresholds[n - 1 - index])


@dataclass
class KernelResult:
    points: np.ndarray  # N × K, centi
    blocks: np.ndarray  # N × B, centi, after floor and cap
    raw_blocks: np.ndarray  # N × B, centi, before
    total: np.ndarray  # N, centi
    vetoed: np.ndarray  # N bool
    veto_hits: np.ndarray  # N × V bool
    grade: np.ndarray  # N int (index into CompiledModel.grades)
    credit: np.ndarray  # N bool


# ------------------------------------------------------------------------------------------
# Compilation
# ------------------------------------------------------------------------------------------


def compile_spec(spec: Mapping[str, Any]) -> CompiledModel:
    """Compile a plain spec::

    {"model": code, "version": n, "subject_type": ..., "combine": "sum"|"min",
     "blocks": [{"code", "name", "cap", "floor", "indicators": [{"code","name","source_field",
        "kind","closed","unit","bins","categories","scale","cap","missing_points"}]}],
     "vetoes": [{"code","name","source_field","basis"}],
     "scheme": {"code", "veto_grade", "grades": [{"code","min_score","credit_subject"}]}}
    """
    indicators: list[CompiledIndicator] = []
    block_codes, block_names, caps, floors, starts = [], [], [], [], []
    for b_index, block in enumerate(spec["blocks"]):
        block_codes.append(block["code"])
        block_names.append(block.get("name", block["code"]))
        caps.append(_centi(block["cap"]))
        floors.append(_centi(block.get("floor", 0) or 0))
        starts.append(len(indicators))
        for ind in block["indicators"]:
            kind = ind["kind"]
            cap = None if ind.get("cap") in (None, "") else _centi(ind["cap"])
            missing = _centi(ind.get("missing_points", 0) or 0)
            if kind == "bins":
                bins = ind["bins"]
                edges = np.array([float(b["upper"]) for b in bins[:-1]], dtype=np.float64)
                table = np.array([_centi(b["points"]) for b in bins], dtype=POINTS)
                categories: tuple[str, ...] = ()
            elif kind == "categories":
                cats = ind["categories"]
                categories = tuple(str(c) for c in cats)
                table = np.array([*[_centi(cats[c]) for c in cats], missing], dtype=POINTS)
                edges = np.zeros(0)
            elif kind == "linear":
                edges, table, categories = np.zeros(0), np.zeros(0, dtype=POINTS), ()
            else:
                raise ValueError(f"unknown indicator kind {kind!r}")
            if cap is not None and len(table):
                table = np.minimum(table, cap).astype(POINTS)
            indicators.append(
                CompiledIndicator(
                    code=ind["code"],
                    name=ind.get("name", ind["code"]),
                    source_field=ind["source_field"],
                    kind=kind,
                    block=b_index,
                    closed=ind.get("closed", "left") or "left",
                    unit=ind.get("unit", "") or "",
                    edges=edges,
                    table=table,
                    categories=categories,
                    missing=missing,
                    cap=cap,
                    scale=float(ind.get("scale", 1) or 1),
                )
            )
    scheme = spec["scheme"]
    grades = list(scheme["grades"])
    mins = [g["min_score"] for g in grades if g.get("min_score") is not None]
    return CompiledModel(
        model_code=spec.get("model", ""),
        version=int(spec.get("version", 0)),
        subject_type=spec.get("subject_type", ""),
        combine=spec.get("combine", "sum"),
        indicators=tuple(indicators),
        block_codes=tuple(block_codes),
        block_names=tuple(block_names),
        block_caps=np.array(caps, dtype=POINTS),
        block_floors=np.array(floors, dtype=POINTS),
        block_starts=tuple(starts),
        vetoes=tuple(
            VetoSpec(v["code"], v.get("name", v["code"]), v["source_field"], v.get("basis", "")) for v in spec["vetoes"]
        ),
        grades=(*[g["code"] for g in grades], scheme["veto_grade"]),
        thresholds=np.array(sorted(_centi(m) for m in mins), dtype=np.int64),
        credit=np.array([bool(g.get("credit_subject")) for g in grades] + [False], dtype=bool),
        scheme_code=scheme.get("code", ""),
    )


def version_spec(version: Any) -> dict[str, Any]:
    """The plain spec of a saved ``ModelVersion`` (blocks, indicators, vetoes and its scheme)."""
    blocks = list(version.blocks.all().order_by("order"))
    indicators = list(version.indicators.all().order_by("order"))
    by_block: dict[int, list[Any]] = {b.pk: [] for b in blocks}
    for ind in indicators:
        by_block[ind.block_id].append(ind)
    scheme = version.grade_scheme
    return {
        "model": version.model.code,
        "version": version.number,
        "subject_type": version.model.subject_type,
        "combine": version.combine,
        "blocks": [
            {
                "code": b.code,
                "name": b.name,
                "cap": b.cap,
                "floor": b.floor,
                "indicators": [
                    {
                        "code": i.code,
                        "name": i.name,
                        "source_field": i.source_field,
                        "kind": i.kind,
                        "closed": i.closed,
                        "unit": i.unit,
                        "bins": i.bins,
                        "categories": i.categories,
                        "scale": i.scale,
                        "cap": i.cap,
                        "missing_points": i.missing_points,
                    }
                    for i in by_block[b.pk]
                ],
            }
            for b in blocks
        ],
        "vetoes": [
            {"code": v.code, "name": v.name, "source_field": v.source_field, "basis": v.basis}
            for v in version.vetoes.all().order_by("order")
        ],
        "scheme": {
            "code": scheme.code,
            "veto_grade": scheme.veto_grade,
            "grades": [
                {"code": g.code, "min_score": g.min_score, "credit_subject": g.credit_subject}
                for g in scheme.grades.all().order_by("order")
            ],
        },
    }


def compile_version(version: Any) -> CompiledModel:
    return compile_spec(version_spec(version))


# ------------------------------------------------------------------------------------------
# The kernel
# ------------------------------------------------------------------------------------------


SMALL_EDGES = 16


def bin_index(ind: CompiledIndicator, column: np.ndarray) -> np.ndarray:
    """The bin of each value: ``searchsorted`` semantics (NaN lands in the last bin). With few edges,
    one vectorised comparison per edge is several times faster than a binary search per value."""
    if len(ind.edges) > SMALL_EDGES:
        return np.searchsorted(ind.edges, column, side=ind.side)
    index = np.zeros(len(column), dtype=np.int8)  # bool + int8 adds without a cast: 10× faster than intp
    compare = np.greater_equal if ind.side == "right" else np.greater
    for edge in ind.edges.tolist():
        index += compare(column, edge)
    if len(ind.edges):
        missing = np.isnan(column)
        if missing.any():
            index[missing] = len(ind.edges)
    return index


def indicator_points(ind: CompiledIndicator, column: np.ndarray) -> np.ndarray:
    """Points (centi) of one indicator for a column: floats (NaN = missing) or category codes."""
    if ind.kind == "categories":
        return ind.table.take(column)
    if ind.kind == "bins":
        points = ind.table.take(bin_index(ind, column))
    else:  # linear
        raw = np.rint(np.nan_to_num(column) * (ind.scale * CENT))
        points = np.clip(raw, 0, ind.cap if ind.cap is not None else None).astype(POINTS)
    missing = np.isnan(column)
    if missing.any():
        points = np.where(missing, POINTS(ind.missing), points)
    return points.astype(POINTS, copy=False)


def _kernel(cm: CompiledModel, columns: Mapping[str, np.ndarray], vetoes: Mapping[str, np.ndarray]) -> KernelResult:
    """Score N rows. ``columns[code]``: float64 values (NaN = missing) or int category codes
    (``CompiledIndicator.code_of``); ``vetoes[veto code]``: bool per row (absent = none)."""
    k = len(cm.indicators)
    n = len(next(iter(columns.values()))) if columns else len(next(iter(vetoes.values()), ()))
    points = np.empty((n, k), dtype=POINTS, order="F")  # one contiguous column per indicator
    for j, ind in enumerate(cm.indicators):
        points[:, j] = indicator_points(ind, columns[ind.code])
    nb = len(cm.block_codes)
    raw = np.zeros((n, nb), dtype=np.int64)
    bounds = [*cm.block_starts, k]
    for b in range(nb):
        lo, hi = bounds[b], bounds[b + 1]
        if hi > lo:
            acc = points[:, lo].astype(np.int64)
            for j in range(lo + 1, hi):
                acc += points[:, j]
            raw[:, b] = acc
    blocks = np.clip(raw, cm.block_floors, cm.block_caps)
    if cm.combine == "min":
        total = points.min(axis=1).astype(np.int64) if k else np.zeros(n, dtype=np.int64)
    else:
        total = blocks.sum(axis=1)
    hits = np.zeros((n, len(cm.vetoes)), dtype=bool)
    for v, rule in enumerate(cm.vetoes):
        flag = vetoes.get(rule.code)
        if flag is not None:
            hits[:, v] = flag
    vetoed: np.ndarray = np.asarray(hits.any(axis=1)) if len(cm.vetoes) else np.zeros(n, dtype=bool)
    bottom = len(cm.thresholds)  # index of the bottom grade
    grade = bottom - np.searchsorted(cm.thresholds, total, side="right")
    grade = np.where(vetoed, cm.veto_grade_index, grade)
    return KernelResult(points, blocks, raw, total, vetoed, hits, grade, cm.credit.take(grade))


def _score_columns(
    cm: CompiledModel, columns: Mapping[str, np.ndarray], vetoes: Mapping[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The batch path's lean variant: (total centi, grade index, credit, vetoed) without keeping
    the N × K points matrix (it accumulates block by block). Identical results to ``kernel``."""
    n = len(next(iter(columns.values()))) if columns else len(next(iter(vetoes.values()), ()))
    bounds = [*cm.block_starts, len(cm.indicators)]
    if cm.combine == "min":
        total = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
        for ind in cm.indicators:
            np.minimum(total, indicator_points(ind, columns[ind.code]), out=total)
        if not cm.indicators:
            total[:] = 0
    else:
        total = np.zeros(n, dtype=np.int64)
        for b in range(len(cm.block_codes)):
            block = np.zeros(n, dtype=np.int32)
            for ind in cm.indicators[bounds[b] : bounds[b + 1]]:
                block += indicator_points(ind, columns[ind.code])
            np.clip(block, cm.block_floors[b], cm.block_caps[b], out=block)
            total += block
    vetoed = np.zeros(n, dtype=bool)
    for rule in cm.vetoes:
        flag = vetoes.get(rule.code)
        if flag is not None:
            vetoed |= flag
    bottom = len(cm.thresholds)
    grade = bottom - np.searchsorted(cm.thresholds, total, side="right")
    grade = np.where(vetoed, cm.veto_grade_index, grade)
    return total, grade, cm.credit.take(grade), vetoed


BLOCK_ROWS = 65_536  # rows per pass: temporaries stay in cache and the allocator reuses them


def _rows(columns: Mapping[str, np.ndarray], vetoes: Mapping[str, np.ndarray]) -> int:
    for array in (*columns.values(), *vetoes.values()):
        return len(array)
    return 0


def _slice(data: Mapping[str, np.ndarray], lo: int, hi: int) -> dict[str, np.ndarray]:
    return {key: array[lo:hi] for key, array in data.items()}


def kernel(cm: CompiledModel, columns: Mapping[str, np.ndarray], vetoes: Mapping[str, np.ndarray]) -> KernelResult:
    """Score N rows. ``columns[code]``: float64 values (NaN = missing) or int category codes
    (``CompiledIndicator.code_of``); ``vetoes[veto code]``: bool per row (absent = none).
    Works through the rows ``BLOCK_ROWS`` at a time (same results, several times faster)."""
    n = _rows(columns, vetoes)
    if n <= BLOCK_ROWS:
        return _kernel(cm, columns, vetoes)
    parts = [
        _kernel(cm, _slice(columns, lo, lo + BLOCK_ROWS), _slice(vetoes, lo, lo + BLOCK_ROWS))
        for lo in range(0, n, BLOCK_ROWS)
    ]
    return KernelResult(
        *[np.concatenate([getattr(p, name) for p in parts]) for name in KernelResult.__dataclass_fields__]
    )


def score_columns(
    cm: CompiledModel, columns: Mapping[str, np.ndarray], vetoes: Mapping[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The batch path's lean variant: (total centi, grade index, credit, vetoed) without keeping
    the N × K points matrix. Identical results to ``kernel``."""
    n = _rows(columns, vetoes)
    if n <= BLOCK_ROWS:
        return _score_columns(cm, columns, vetoes)
    total = np.empty(n, dtype=np.int64)
    grade = np.empty(n, dtype=np.intp)
    credit = np.empty(n, dtype=bool)
    vetoed = np.empty(n, dtype=bool)
    for lo in range(0, n, BLOCK_ROWS):
        hi = min(n, lo + BLOCK_ROWS)
        part = _score_columns(cm, _slice(columns, lo, hi), _slice(vetoes, lo, hi))
        total[lo:hi], grade[lo:hi], credit[lo:hi], vetoed[lo:hi] = part
    return total, grade, credit, vetoed


# ------------------------------------------------------------------------------------------
# One subject: values from a dict, the explanation, the path to the next grade
# ------------------------------------------------------------------------------------------


def _number(value: Any) -> float:
    if value is None or value == "":
        return math.nan
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float | Decimal):
        return float(value)
    try:
        return float(str(value))
    except ValueError as exc:
        raise ValueError(str(value)) from exc


def row_columns(
    cm: CompiledModel, values: Mapping[str, Any], *, strict: bool = False
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """N = 1 columns from a dict keyed by indicator code or source field (and veto code or field)."""
    errors: dict[str, str] = {}
    known = set()
    columns: dict[str, np.ndarray] = {}
    for ind in cm.indicators:
        known |= {ind.code, ind.source_field}
        raw = values.get(ind.code, values.get(ind.source_field))
        if ind.kind == "categories":
            if raw is not None and raw != "" and str(raw) not in ind.categories and strict:
                errors[ind.code] = "unknown_category"
            columns[ind.code] = np.array([ind.code_of(raw) if raw not in (None, "") else len(ind.categories)])
        else:
            try:
                columns[ind.code] = np.array([_number(raw)], dtype=np.float64)
            except ValueError:
                errors[ind.code] = "not_a_number"
                columns[ind.code] = np.array([math.nan])
    vetoes: dict[str, np.ndarray] = {}
    for rule in cm.vetoes:
        known |= {rule.code, rule.source_field}
        raw = values.get(rule.code, values.get(rule.source_field))
        vetoes[rule.code] = np.array([bool(raw) and str(raw).lower() not in ("0", "false", "no")])
    if strict:
        unknown = sorted(set(values) - known)
        for key in unknown:
            errors[key] = "unknown_indicator"
        if errors:
            raise ValidationFailed("指标取值有误", {"indicators": errors})
    return columns, vetoes


def _display(ind: CompiledIndicator, column: np.ndarray) -> Any:
    if ind.kind == "categories":
        code = int(column[0])
        return ind.categories[code] if code < len(ind.categories) else None
    v = float(column[0])
    return None if math.isnan(v) else (int(v) if v.is_integer() else v)


def _pts(centi: int | np.integer) -> float:
    return round(int(centi) / CENT, 2)


def _options(ind: CompiledIndicator, column: np.ndarray, current: int) -> list[tuple[Any, Any, str, int]]:
    """Changes of one indicator that score more: (new column value, display value, label, steps)."""
    out: list[tuple[Any, Any, str, int]] = []
    if ind.kind == "bins":
        v = float(column[0])
        here = len(ind.edges) if math.isnan(v) else int(np.searchsorted(ind.edges, v, side=ind.side))
        for j, p in enumerate(ind.table.tolist()):
            if p > current:
                value = ind.bin_value(j)
                out.append((value, int(value) if value.is_integer() else value, ind.bin_label(j), abs(j - here) or 1))
    elif ind.kind == "categories":
        for c, p in zip(ind.categories, ind.table.tolist(), strict=False):
            if p > current:
                out.append((ind.code_of(c), c, c, 1))
    else:
        cap = ind.cap if ind.cap is not None else current + 10 * CENT
        targets = sorted({min(cap, current + step * CENT) for step in (1, 2, 3, 5, 10)} | {cap})
        for t in targets:
            if t > current:
                value = t / CENT / ind.scale
                out.append((value, round(value, 2), f"{value:g}{ind.unit}", (t - current + CENT - 1) // CENT))
    return out


MAX_CANDIDATES = 60_000


def next_grade(
    cm: CompiledModel,
    columns: dict[str, np.ndarray],
    vetoes: dict[str, np.ndarray],
    result: KernelResult,
    *,
    limit: int = 3,
) -> dict[str, Any] | None:
    """The cheapest indicator changes that lift the grade one step: fewest indicators changed, then
    fewest bins moved, then fewest points beyond what is needed. Candidates are scored by the same
    kernel. None at the top grade; ``reachable: false`` when vetoed or no change of ≤ 3 indicators does it."""
    grade = int(result.grade[0])
    if bool(result.vetoed[0]):
        hit = [cm.vetoes[v].code for v in np.flatnonzero(result.veto_hits[0])]
        return {"grade": None, "reachable": False, "reason": "vetoed", "vetoes": hit, "changes": []}
    if grade == 0:
        return None
    target = grade - 1
    need = cm.grade_min(target)
    score = int(result.total[0])
    base = {"grade": cm.grades[target], "min_score": _pts(need or 0), "gap": _pts((need or 0) - score)}
    options = [_options(ind, columns[ind.code], int(result.points[0, j])) for j, ind in enumerate(cm.indicators)]
    movable = [j for j, opts in enumerate(options) if opts]
    for size in (1, 2, 3):
        combos: list[tuple[tuple[int, int], ...]] = []
        for chosen in itertools.combinations(movable, size):
            for picks in itertools.product(*[range(len(options[j])) for j in chosen]):
                combos.append(tuple(zip(chosen, picks, strict=True)))
                if len(combos) > MAX_CANDIDATES:
                    break
        if not combos:
            continue
        n = len(combos)
        cand = {code: np.repeat(col, n) for code, col in columns.items()}
        for i, combo in enumerate(combos):
            for j, pick in combo:
                ind = cm.indicators[j]
                cand[ind.code][i] = options[j][pick][0]
        res = kernel(cm, cand, {code: np.repeat(flag, n) for code, flag in vetoes.items()})
        ok = np.flatnonzero(res.grade <= target)
        if not len(ok):
            continue
        ranked = sorted(ok.tolist(), key=lambda i: (sum(options[j][p][3] for j, p in combos[i]), int(res.total[i]), i))
        paths = []
        for i in ranked[:limit]:
            changes = []
            for j, pick in combos[i]:
                ind = cm.indicators[j]
                _value, shown, label, _steps = options[j][pick]
                changes.append(
                    {
                        "indicator": ind.code,
                        "name": ind.name,
                        "from": _display(ind, columns[ind.code]),
                        "to": shown,
                        "to_label": label,
                        "points_gained": _pts(int(res.points[i, j]) - int(result.points[0, j])),
                    }
                )
            paths.append({"changes": changes, "score": _pts(res.total[i])})
        return {**base, "reachable": True, "changes": paths[0]["changes"], "alternatives": paths[1:]}
    return {**base, "reachable": False, "reason": "too_far", "changes": []}


def explain(
    cm: CompiledModel,
    columns: dict[str, np.ndarray],
    vetoes: dict[str, np.ndarray],
    *,
    bases: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Score one row and explain it: points per indicator and block (blocks add up to the score),
    vetoes hit with their basis, and the path to the next grade."""
    result = kernel(cm, columns, vetoes)
    breakdown = [
        {
            "indicator": ind.code,
            "name": ind.name,
            "block": cm.block_codes[ind.block],
            "value": _display(ind, columns[ind.code]),
            "points": _pts(result.points[0, j]),
        }
        for j, ind in enumerate(cm.indicators)
    ]
    blocks = [
        {
            "block": code,
            "name": cm.block_names[b],
            "cap": _pts(cm.block_caps[b]),
            "raw": _pts(result.raw_blocks[0, b]),
            "points": _pts(result.blocks[0, b]),
        }
        for b, code in enumerate(cm.block_codes)
    ]
    hits = [
        {"code": rule.code, "name": rule.name, "basis": (bases or {}).get(rule.code) or rule.basis}
        for v, rule in enumerate(cm.vetoes)
        if result.veto_hits[0, v]
    ]
    grade = int(result.grade[0])
    return {
        "model": cm.model_code,
        "model_version": cm.version,
        "score": _pts(result.total[0]),
        "grade": cm.grades[grade],
        "credit_subject": bool(result.credit[0]),
        "vetoed": bool(result.vetoed[0]),
        "vetoes": hits,
        "breakdown": breakdown,
        "blocks": blocks,
        "next_grade": next_grade(cm, columns, vetoes, result),
    }


def evaluate_one(
    cm: CompiledModel, indicators: Mapping[str, Any], *, strict: bool = False, bases: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """One subject through the same kernel as the batch (N = 1), with its explanation."""
    columns, vetoes = row_columns(cm, indicators, strict=strict)
    return explain(cm, columns, vetoes, bases=bases)


def encode_category(ind: CompiledIndicator, values: Sequence[Any] | np.ndarray) -> np.ndarray:
    """Pre-code a column of category strings (None/'' and unknown → the missing slot)."""
    arr = np.asarray(values, dtype=object)
    uniques, inverse = np.unique(np.where(arr == None, "", arr).astype(str), return_inverse=True)  # noqa: E711
    mapping = np.array([ind.code_of(u) if u else len(ind.categories) for u in uniques.tolist()], dtype=np.intp)
    return mapping.take(inverse) if len(uniques) else np.zeros(0, dtype=np.intp)


def columns_from_rows(
    cm: CompiledModel, rows: Iterable[Mapping[str, Any]]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Columns for many dict rows (tests, simulations of small sets)."""
    rows = list(rows)
    columns: dict[str, np.ndarray] = {}
    for ind in cm.indicators:
        raw = [r.get(ind.code, r.get(ind.source_field)) for r in rows]
        if ind.kind == "categories":
            columns[ind.code] = encode_category(ind, raw)
        else:
            columns[ind.code] = np.array([_number(v) for v in raw], dtype=np.float64)
    vetoes = {
        rule.code: np.array([bool(r.get(rule.code, r.get(rule.source_field))) for r in rows], dtype=bool)
        for rule in cm.vetoes
    }
    return columns, vetoes


def evaluate_subject(*, subject_type: str, subject_id: int, model_code: str | None = None) -> Any:
    """One stored subject re-scored now (``grade``, ``score``, ``vetoed``, ``explanation``); see
    ``scoring.selectors.evaluate_subject``. Here for callers that hold the engine module."""
    from creditvillage.scoring.selectors import evaluate_subject as run

    return run(subject_type=subject_type, subject_id=subject_id, model_code=model_code)
