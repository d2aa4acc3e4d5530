"""Data-quality checks on collected archives, as pure functions (no database).

``quality.py`` loads the rows a user may see and feeds them through these checks; keeping the
rules here makes each one testable with crafted values:

- completeness: the share of required fields that hold a value;
- identical answers: households whose assets and incomes are the same down to the fen;
- implausibly fast collection: many submissions by one collector minutes apart;
- outliers: income or assets far from the village's other households (robust z-score, IQR fallback);
- ID numbers inconsistent with the member's stated sex or birth date (GB 11643 encodes both).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from creditvillage.core.identifiers import validate_resident_id

# --- Completeness ---

# What a household archive must hold (seed 000: 一户一档 covers members, assets, income, business).
REQUIRED_HOUSEHOLD_FIELDS: Final = (
    "head_name",
    "member_count",
    "address",
    "phone",
    "main_business",
    "annual_income_fen",
    "assets_value_fen",
)
REQUIRED_PERSON_FIELDS: Final = (
    "name",
    "id_number",
    "relation",
    "sex",
    "birth_date",
    "political_status",
    "education",
    "occupation",
)
# Counts and amounts of 0 are what an untouched form holds, not an answer.
ZERO_IS_EMPTY: Final = frozenset({"member_count", "annual_income_fen", "assets_value_fen"})


def is_filled(name: str, value: Any) -> bool:
    """Whether a field holds an answer: not None, not blank text, and not 0 where 0 means untouched."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    return not (name in ZERO_IS_EMPTY and value == 0)


@dataclass(frozen=True)
class Completeness:
    """Filled and required field counts; ``share`` is filled / required (1.0 when nothing is required)."""

    filled: int
    required: int

    @property
    def share(self) -> float:
        return self.filled / self.required if self.required else 1.0

    @property
    def percent(self) -> int:
        return round(self.share * 100)

    def __add__(self, other: Completeness) -> Completeness:
        return Completeness(self.filled + other.filled, self.required + other.required)


def record_completeness(values: Mapping[str, Any], required: Sequence[str]) -> Completeness:
    return Completeness(sum(is_filled(name, values.get(name)) for name in required), len(required))


def household_completeness(household: Mapping[str, Any], members: Iterable[Mapping[str, Any]]) -> Completeness:
    """The household's required fields plus each member's; a household without members misses one whole member."""
    total = record_completeness(household, REQUIRED_HOUSEHOLD_FIELDS)
    members = list(members)
    if not members:
        return total + Completeness(0, len(REQUIRED_PERSON_FIELDS))
    for member in members:
        total = total + record_completeness(member, REQUIRED_PERSON_FIELDS)
    return total


# --- Identical answers ---


def answers_fingerprint(
    assets: Iterable[tuple[Any, ...]], incomes: Iterable[tuple[Any, ...]], totals: tuple[Any, ...] = ()
) -> str | None:
    """A digest of a household's assets and incomes, order-independent; None when it declared none.

    ``assets``: ``(kind, quantity, value_fen)``; ``incomes``: ``(source, amount_fen)``; ``totals``: the
    household's own totals. Two households with the same digest answered the same down to the fen.
    """
    assets = sorted(tuple(str(v) for v in a) for a in assets)
    incomes = sorted(tuple(str(v) for v in i) for i in incomes)
    if not assets and not incomes:
        return None
    text = repr((assets, incomes, tuple(str(v) for v in totals)))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def identical_groups(fingerprints: Mapping[int, str | None]) -> list[list[int]]:
    """Groups (two or more keys) sharing a fingerprint, each sorted, in order of their first key."""
    by_print: dict[str, list[int]] = defaultdict(list)
    for key, digest in fingerprints.items():
        if digest is not None:
            by_print[digest].append(key)
    groups = [sorted(keys) for keys in by_print.values() if len(keys) > 1]
    return sorted(groups, key=lambda keys: keys[0])


# --- Implausibly fast collection ---

# A door-to-door archive takes far longer than two minutes: five submissions inside ten minutes
# by one collector means forms were filled at a desk (or copied).
BURST_COUNT: Final = 5
BURST_WINDOW: Final = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Burst:
    """A run of submissions by one collector, at least ``BURST_COUNT`` inside ``BURST_WINDOW``."""

    start: dt.datetime
    end: dt.datetime
    count: int

    @property
    def minutes_each(self) -> float:
        return (self.end - self.start).total_seconds() / 60 / max(self.count - 1, 1)


def fast_bursts(
    times: Iterable[dt.datetime], *, count: int = BURST_COUNT, window: dt.timedelta = BURST_WINDOW
) -> list[Burst]:
    """Maximal runs where ``count`` consecutive submissions fit inside ``window``; overlapping runs merge."""
    ordered = sorted(times)
    bursts: list[Burst] = []
    start_i = end_i = -1
    for i in range(len(ordered) - count + 1):
        j = i + count - 1
        if ordered[j] - ordered[i] > window:
            continue
        if start_i >= 0 and i <= end_i:
            end_i = j  # overlaps the current run: extend it
        else:
            if start_i >= 0:
                bursts.append(Burst(ordered[start_i], ordered[end_i], end_i - start_i + 1))
            start_i, end_i = i, j
    if start_i >= 0:
        bursts.append(Burst(ordered[start_i], ordered[end_i], end_i - start_i + 1))
    return bursts


# --- Outliers ---

# Iglewicz and Hoaglin's modified z-score: 0.6745 (x - median) / MAD, flagged above 3.5. When more
# than half the village has the same value the MAD is 0; then Tukey's far-out fences (3 × IQR) apply.
MODIFIED_Z: Final = 3.5
IQR_FACTOR: Final = 3.0
MIN_SAMPLE: Final = 5


def outliers(
    values: Mapping[int, int | float], *, threshold: float = MODIFIED_Z, min_n: int = MIN_SAMPLE
) -> dict[int, str]:
    """Keys whose value lies far from the others: ``{key: "high" | "low"}``. Needs ``min_n`` values."""
    if len(values) < min_n:
        return {}
    data = [float(v) for v in values.values()]
    median = statistics.median(data)
    mad = statistics.median(abs(v - median) for v in data)
    flagged: dict[int, str] = {}
    if mad > 0:
        for key, value in values.items():
            z = 0.6745 * (float(value) - median) / mad
            if abs(z) > threshold:
                flagged[key] = "high" if z > 0 else "low"
        return flagged
    q1, _q2, q3 = statistics.quantiles(data, n=4, method="inclusive")
    iqr = q3 - q1
    if iqr <= 0:
        return {}
    low, high = q1 - IQR_FACTOR * iqr, q3 + IQR_FACTOR * iqr
    for key, value in values.items():
        if value > high:
            flagged[key] = "high"
        elif value < low:
            flagged[key] = "low"
    return flagged


# --- ID numbers against stated sex and birth date ---


def id_inconsistencies(
    id_number: str, sex: str, birth_date: dt.date | None, *, today: dt.date | None = None
) -> list[str]:
    """Codes for what the ID number contradicts: ``bad_id``, ``sex_mismatch``, ``birth_date_mismatch``."""
    result = validate_resident_id(id_number, today=today)
    if not result.valid:
        return ["bad_id"]
    problems = []
    if sex and result.details["sex"] != sex:
        problems.append("sex_mismatch")
    if birth_date is not None and result.details["birth_date"] != birth_date.isoformat():
        problems.append("birth_date_mismatch")
    return problems
