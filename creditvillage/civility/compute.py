"""The arithmetic of civility evaluation, pure and database-free (tested directly).

* one evaluation: each dimension starts at the version's base, gains its ticked positive items and
  loses its ticked negative items (per case where the item says so), never below the floor; the
  total is capped at ``base × dimensions + bonus_cap``;
* a household's score: the trimmed mean of its evaluators' scores — with four or more evaluators
  the highest and the lowest are dropped — rounded half up to 0.01;
* an evaluator's systematic deviation: the mean over the households they scored of (their score −
  the median of the other evaluators' scores of that household). The median keeps one outlier from
  dragging the others' deviations: with the mean, a generous evaluator makes every fair one look
  harsh.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from statistics import median

CENT = Decimal("0.01")
TRIM_FROM = 4  # evaluators from which the highest and lowest are dropped


@dataclass(frozen=True)
class ItemRule:
    id: int
    kind: str  # positive / negative / veto
    dimension_id: int | None
    points: Decimal
    per_case: bool


@dataclass(frozen=True)
class VersionRules:
    base: Decimal
    floor: Decimal
    bonus_cap: Decimal | None
    dimension_ids: tuple[int, ...]
    items: Mapping[int, ItemRule]

    @property
    def max_score(self) -> Decimal | None:
        if self.bonus_cap is None:
            return None
        return self.base * len(self.dimension_ids) + self.bonus_cap


def q2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def evaluation_score(rules: VersionRules, marks: Mapping[int, int]) -> Decimal:
    """Score of one evaluation; ``marks`` maps item id → count ticked (1 unless per case)."""
    per_dimension = dict.fromkeys(rules.dimension_ids, rules.base)
    for item_id, count in marks.items():
        item = rules.items[item_id]
        if item.kind == "veto" or item.dimension_id is None:
            continue
        times = count if item.per_case else 1
        delta = item.points * times
        per_dimension[item.dimension_id] += delta if item.kind == "positive" else -delta
    total = sum((max(rules.floor, value) for value in per_dimension.values()), Decimal(0))
    if rules.max_score is not None:
        total = min(total, rules.max_score)
    return q2(total)


def trimmed_mean(scores: Sequence[Decimal]) -> Decimal:
    if not scores:
        raise ValueError("no scores")
    ordered = sorted(scores)
    if len(ordered) >= TRIM_FROM:
        ordered = ordered[1:-1]
    return q2(sum(ordered, Decimal(0)) / len(ordered))


@dataclass(frozen=True)
class Deviation:
    member_id: int
    mean: Decimal | None  # None when never compared
    households: int
    flagged: bool


def deviations(
    scores: Iterable[tuple[int, int, Decimal]], *, threshold: Decimal, min_households: int
) -> dict[int, Deviation]:
    """Per evaluator (member id): mean signed deviation from the median of the other evaluators.

    ``scores`` are ``(household_id, member_id, score)``. A household counts for an evaluator when at
    least two *other* evaluators scored it. Flagged: compared on ``min_households`` or more and
    ``|mean| >= threshold``.
    """
    by_household: dict[int, dict[int, Decimal]] = defaultdict(dict)
    members: set[int] = set()
    for household_id, member_id, score in scores:
        by_household[household_id][member_id] = score
        members.add(member_id)
    sums: dict[int, Decimal] = defaultdict(Decimal)
    counts: dict[int, int] = defaultdict(int)
    for household_scores in by_household.values():
        if len(household_scores) < 3:
            continue
        for member_id, score in household_scores.items():
            others = [s for m, s in household_scores.items() if m != member_id]
            sums[member_id] += score - median(others)
            counts[member_id] += 1
    result = {}
    for member_id in members:
        n = counts.get(member_id, 0)
        mean = q2(sums[member_id] / n) if n else None
        flagged = mean is not None and n >= min_households and abs(mean) >= threshold
        result[member_id] = Deviation(member_id, mean, n, flagged)
    return result


def veto_outcome(veto_marks: Iterable[tuple[int, int, str]]) -> tuple[int | None, str]:
    """Whether a household is vetoed: one veto item ticked by two or more evaluators, each with a
    written basis. ``veto_marks`` are ``(item_id, member_id, basis)``; returns (item id or None, basis)."""
    by_item: dict[int, dict[int, str]] = defaultdict(dict)
    for item_id, member_id, basis in veto_marks:
        if basis.strip():
            by_item[item_id][member_id] = basis.strip()
    for item_id in sorted(by_item):
        bases = by_item[item_id]
        if len(bases) >= 2:
            return item_id, "；".join(dict.fromkeys(bases[m] for m in sorted(bases)))
    return None, ""
