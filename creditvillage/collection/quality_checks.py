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
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from creditvillage.core.identifiers import validate_resident_id

# --- Completeness ---

# What a household archive must hold (seed 000: 一户一档 covers members, assets, income, business).
# The archive has the submission shape of ``collection/archive.py``: ``{"household": {...},
# "members": [...], "assets": [...], "incomes": [...], ...}``.
REQUIRED_HOUSEHOLD_FIELDS: Final = ("address", "phone", "main_business")
REQUIRED_SECTIONS: Final = ("members", "assets", "incomes")
REQUIRED_MEMBER_FIELDS: Final = ("name", "id_number", "relation", "political_status", "education", "occupation")


def is_filled(value: Any) -> bool:
    """Whether a field holds an answer: not None and not blank text."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    return True


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
    return Completeness(sum(is_filled(values.get(name)) for name in required), len(required))


def archive_completeness(archive: Mapping[str, Any]) -> Completeness:
    """Required household fields, one per required section (members, assets, incomes), and each member's fields.

    An archive without members misses the section and one whole member's fields.
    """
    total = record_completeness(archive.get("household") or {}, REQUIRED_HOUSEHOLD_FIELDS)
    total = total + Completeness(sum(bool(archive.get(name)) for name in REQUIRED_SECTIONS), len(REQUIRED_SECTIONS))
    members = list(archive.get("members") or [])
    if not members:
        return total + Completeness(0, len(REQUIRED_MEMBER_FIELDS))
    for member in members:
        total = total + record_completeness(member, REQUIRED_MEMBER_FIELDS)
    return total


def archive_fingerprint(archive: Mapping[str, Any]) -> str | None:
    """:func:`answers_fingerprint` of an archive's assets and incomes."""
    assets = [(a.get("kind"), a.get("quantity"), a.get("value_fen")) for a in archive.get("assets") or []]
    incomes = [(i.get("source"), i.get("amount_fen")) for i in archive.get("incomes") or []]
    return answers_fingerprint(assets, incomes)


def archive_totals(archive: Mapping[str, Any]) -> tuple[int, int]:
    """The archive's income and asset totals in fen (sums of its rows)."""
    income = sum(int(i.get("amount_fen") or 0) for i in archive.get("incomes") or [])
    assets = sum(int(a.get("value_fen") or 0) for a in archive.get("assets") or [])
    return income, assets


# --- Identical answers ---


def answers_fingerprint(
    assets: Iterable[tuple[Any, ...]], incomes: Iterable[tuple[Any, ...]], totals: tuple[Any, ...] = ()
) -> str | None:
    """A digest of a household's assets and incomes, order-independent; None when it declared none.

    ``assets``: ``(kind, quantity, value_fen)``; ``incomes``: ``(source, amount_fen)``; ``totals``: the
    household's own totals. Two households with the same digest answered the same down to the fen.
    """
    asset_rows = sorted(tuple(_plain(v) for v in a) for a in assets)
    income_rows = sorted(tuple(_plain(v) for v in i) for i in incomes)
    if not asset_rows and not income_rows:
        return None
    text = repr((asset_rows, income_rows, tuple(_plain(v) for v in totals)))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _plain(value: Any) -> str:
    """Quantities compare as numbers: ``"8"``, ``"8.00"`` and ``Decimal("8.0")`` are one answer."""
    try:
        return str(Decimal(str(value)).normalize())
    except (InvalidOperation, ValueError):
        return str(value)


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
