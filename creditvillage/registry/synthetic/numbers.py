"""Unique, valid identifiers for synthetic archives: resident ID numbers and USCCs."""

from __future__ import annotations

import datetime as dt
from typing import Final

import numpy as np
import numpy.typing as npt

from creditvillage.core.identifiers import USCC_ALPHABET, uscc_check_char

BIRTH_YEAR_MIN: Final = 1926
BIRTH_YEAR_MAX: Final = 2025  # the last full year the archives describe: no future birth dates

# GB 11643 MOD 11-2 (design/domain-reference.md §6.1). The check character is computed from
# partial sums cached per area code, birth date and sequence number: the same arithmetic as
# ``core.identifiers.resident_id_check_char``, against which the tests check every number.
_RID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RID_CHECK: Final = np.array(list("10X98765432"))
SEQ_SLOTS: Final = 499  # per sex and day: men get 001, 003 … 997; women 002, 004 … 998
_STRIDE: Final = 7919  # prime, coprime with 365*499 and 366*499: a one-to-one walk over a year's slots
_YEARS: Final = BIRTH_YEAR_MAX - BIRTH_YEAR_MIN + 1


def _weighted_sum(digits: str, offset: int) -> int:
    return sum(int(d) * w for d, w in zip(digits, _RID_WEIGHTS[offset : offset + len(digits)], strict=True))


def _calendar() -> tuple[npt.NDArray[np.int64], list[list[str]], npt.NDArray[np.int64], npt.NDArray[np.datetime64]]:
    """Per birth year: days in the year, ``YYYYMMDD`` texts, their weighted digit sums, 1 January."""
    lengths = np.zeros(_YEARS, dtype=np.int64)
    texts: list[list[str]] = []
    sums = np.zeros((_YEARS, 366), dtype=np.int64)
    for index in range(_YEARS):
        first = dt.date(BIRTH_YEAR_MIN + index, 1, 1)
        days = (dt.date(first.year + 1, 1, 1) - first).days
        lengths[index] = days
        year_texts = [(first + dt.timedelta(days=d)).strftime("%Y%m%d") for d in range(days)]
        texts.append(year_texts)
        sums[index, :days] = [_weighted_sum(text, 6) for text in year_texts]
    starts = np.array([f"{BIRTH_YEAR_MIN + i}-01-01" for i in range(_YEARS)], dtype="datetime64[D]")
    return lengths, texts, sums, starts


_DAYS, _DATE_TEXTS, _DATE_SUMS, _YEAR_STARTS = _calendar()
_SEQ_TEXTS: Final = [f"{seq:03d}" for seq in range(1000)]
_SEQ_SUMS: Final = np.array([_weighted_sum(text, 14) for text in _SEQ_TEXTS], dtype=np.int64)


class ResidentIdAllocator:
    """Hands out unique resident ID numbers under one county's 6-digit area code.

    For each (birth year, sex) a counter walks the year's slots (day × sequence number) in a
    scrambled but one-to-one order, so nobody shares a number and birthdays look random. A
    full year (about 182,000 people of one sex) spills into the neighbouring years. The
    result depends only on the area code and the order of requests.
    """

    def __init__(self, area_code: str) -> None:
        if len(area_code) != 6 or not area_code.isdigit():
            raise ValueError("area code must have 6 digits")
        self.area_code = area_code
        self._area_sum = _weighted_sum(area_code, 0)
        self._used = np.zeros(_YEARS * 2, dtype=np.int64)  # key = year index * 2 + male
        keys = np.arange(_YEARS * 2)
        slots = _DAYS[keys // 2] * SEQ_SLOTS
        self._offsets = (keys * 2654435761 + int(area_code)) % slots

    def allocate(
        self, birth_years: npt.NDArray[np.int64], male: npt.NDArray[np.bool_]
    ) -> tuple[list[str], npt.NDArray[np.datetime64]]:
        """ID numbers and birth dates for people born in ``birth_years`` (1926-2025), of sex ``male``."""
        years = np.clip(birth_years, BIRTH_YEAR_MIN, BIRTH_YEAR_MAX) - BIRTH_YEAR_MIN
        keys = years * 2 + male.astype(np.int64)
        counts = np.bincount(keys, minlength=_YEARS * 2)
        order = np.argsort(keys, kind="stable")
        starts = np.cumsum(counts) - counts
        rank = np.empty(len(keys), dtype=np.int64)
        rank[order] = np.arange(len(keys)) - np.repeat(starts, counts)
        serial = self._used[keys] + rank
        self._used += counts
        full = serial >= _DAYS[years] * SEQ_SLOTS
        if full.any():
            self._spill(years, keys, serial, full)
        slots = _DAYS[years] * SEQ_SLOTS
        slot = (serial * _STRIDE + self._offsets[keys]) % slots
        day, seq = slot // SEQ_SLOTS, 2 * (slot % SEQ_SLOTS) + np.where(male, 1, 2)
        check = _RID_CHECK[(self._area_sum + _DATE_SUMS[years, day] + _SEQ_SUMS[seq]) % 11]
        area = self.area_code
        numbers = [
            f"{area}{_DATE_TEXTS[y][d]}{_SEQ_TEXTS[s]}{c}"
            for y, d, s, c in zip(years.tolist(), day.tolist(), seq.tolist(), check.tolist(), strict=True)
        ]
        return numbers, _YEAR_STARTS[years] + day.astype("timedelta64[D]")

    def _spill(
        self,
        years: npt.NDArray[np.int64],
        keys: npt.NDArray[np.int64],
        serial: npt.NDArray[np.int64],
        full: npt.NDArray[np.bool_],
    ) -> None:
        """Move people whose year is full to the nearest year with room (later first), in place."""
        full_keys = np.unique(keys[full])
        self._used[full_keys] = _DAYS[full_keys // 2] * SEQ_SLOTS  # the year is used up
        for i in np.flatnonzero(full).tolist():
            male = int(keys[i]) % 2
            for step in range(1, _YEARS):
                candidates = (int(years[i]) + step, int(years[i]) - step)
                year = next((y for y in candidates if 0 <= y < _YEARS and self._has_room(y * 2 + male)), None)
                if year is not None:
                    key = year * 2 + male
                    years[i], keys[i], serial[i] = year, key, self._used[key]
                    self._used[key] += 1
                    break
            else:
                raise OverflowError("no resident ID numbers left for this county")

    def _has_room(self, key: int) -> bool:
        return bool(self._used[key] < _DAYS[key // 2] * SEQ_SLOTS)


# --- USCC ---------------------------------------------------------------------------------------


def base31(number: int, width: int) -> str:
    """``number`` in the USCC alphabet, ``width`` characters, most significant first."""
    chars = []
    for _ in range(width):
        number, rest = divmod(number, len(USCC_ALPHABET))
        chars.append(USCC_ALPHABET[rest])
    if number:
        raise OverflowError("number too large for the USCC width")
    return "".join(reversed(chars))


def make_uscc(authority_category: str, area_code: str, subject: str) -> str:
    """``authority_category`` (``"93"``, ``"N2"`` …) + 6-digit area code + 9-character subject + check."""
    body = f"{authority_category}{area_code}{subject}"
    return body + uscc_check_char(body)
