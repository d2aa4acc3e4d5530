"""The pure data-quality rules, each with a flagged and a clean case."""

from __future__ import annotations

import datetime as dt

from creditvillage.collection.quality_checks import (
    Completeness,
    answers_fingerprint,
    archive_completeness,
    archive_fingerprint,
    archive_totals,
    fast_bursts,
    id_inconsistencies,
    identical_groups,
    is_filled,
    outliers,
)
from creditvillage.core.identifiers import resident_id_check_char

T0 = dt.datetime(2026, 7, 1, 9, 0, tzinfo=dt.UTC)


def make_id(birth: str, seq: int) -> str:
    body = f"341502{birth}{seq:03d}"
    return body + resident_id_check_char(body)


FULL_MEMBER = {
    "name": "张三",
    "id_number": make_id("19700101", 11),
    "relation": "head",
    "political_status": "masses",
    "education": "junior",
    "occupation": "务农",
}
FULL_ARCHIVE = {
    "household": {"address": "周庵村1号", "phone": "13800138000", "main_business": "水稻"},
    "members": [FULL_MEMBER],
    "assets": [{"kind": "house", "quantity": "120", "value_fen": 30_000_000}],
    "incomes": [{"year": 2025, "source": "farming", "amount_fen": 4_000_000}],
}


def test_is_filled_treats_blank_as_empty() -> None:
    assert not is_filled("  ")
    assert not is_filled(None)
    assert is_filled(0)  # a real answer: no debts
    assert is_filled("周庵村")


def test_complete_archive_is_100_percent() -> None:
    result = archive_completeness(FULL_ARCHIVE)
    assert result == Completeness(12, 12)
    assert result.percent == 100


def test_missing_fields_lower_completeness() -> None:
    archive = {
        **FULL_ARCHIVE,
        "household": {"address": "", "phone": "13800138000", "main_business": " "},
        "members": [{**FULL_MEMBER, "education": "", "occupation": ""}, FULL_MEMBER],
        "assets": [],
    }
    result = archive_completeness(archive)
    assert result == Completeness(1 + 2 + 4 + 6, 3 + 3 + 12)
    assert result.percent == 72  # 13 / 18


def test_archive_without_members_misses_a_whole_member() -> None:
    assert archive_completeness({**FULL_ARCHIVE, "members": []}) == Completeness(5, 12)
    assert archive_completeness({}) == Completeness(0, 12)


def test_archive_fingerprint_and_totals() -> None:
    same = {**FULL_ARCHIVE, "assets": [{"kind": "house", "quantity": "120.00", "value_fen": 30_000_000}]}
    assert archive_fingerprint(same) == archive_fingerprint(FULL_ARCHIVE)
    assert archive_fingerprint({**FULL_ARCHIVE, "incomes": []}) != archive_fingerprint(FULL_ARCHIVE)
    assert archive_totals(FULL_ARCHIVE) == (4_000_000, 30_000_000)


def test_identical_answers_are_grouped_and_different_ones_are_not() -> None:
    same_assets = [("house", "120.00", 30_000_000), ("land", "8.00", 0)]
    prints = {
        1: answers_fingerprint(same_assets, [("farming", 4_000_000)]),
        2: answers_fingerprint(list(reversed(same_assets)), [("farming", 4_000_000)]),  # same, other order
        3: answers_fingerprint(same_assets, [("farming", 4_000_100)]),  # one yuan more: different
        4: answers_fingerprint([], []),  # declared nothing: not a fingerprint
        5: answers_fingerprint([], []),
    }
    assert prints[4] is None
    assert identical_groups(prints) == [[1, 2]]


def test_no_identical_groups_when_all_differ() -> None:
    prints = {i: answers_fingerprint([("house", "1", i * 100)], []) for i in range(1, 6)}
    assert identical_groups(prints) == []


def test_five_submissions_in_ten_minutes_are_a_burst() -> None:
    times = [T0 + dt.timedelta(minutes=2 * i) for i in range(6)]  # every 2 minutes, 6 in 10 minutes
    times += [T0 + dt.timedelta(hours=3, minutes=40 * i) for i in range(4)]  # later, at a normal pace
    bursts = fast_bursts(times)
    assert len(bursts) == 1
    assert (bursts[0].start, bursts[0].end, bursts[0].count) == (T0, T0 + dt.timedelta(minutes=10), 6)
    assert bursts[0].minutes_each == 2.0


def test_normal_pace_is_not_a_burst() -> None:
    times = [T0 + dt.timedelta(minutes=25 * i) for i in range(12)]
    assert fast_bursts(times) == []


def test_two_separate_bursts_are_reported_separately() -> None:
    first = [T0 + dt.timedelta(minutes=i) for i in range(5)]
    second = [T0 + dt.timedelta(hours=2, minutes=i) for i in range(5)]
    assert [b.count for b in fast_bursts(second + first)] == [5, 5]


def test_income_outlier_is_flagged_high_and_low() -> None:
    incomes = {1: 50_000, 2: 52_000, 3: 48_000, 4: 51_000, 5: 49_000, 6: 900_000, 7: 100}
    assert outliers(incomes) == {6: "high", 7: "low"}


def test_ordinary_spread_has_no_outliers() -> None:
    incomes = {1: 40_000, 2: 52_000, 3: 61_000, 4: 45_000, 5: 58_000, 6: 70_000}
    assert outliers(incomes) == {}


def test_outliers_fall_back_to_iqr_when_most_values_are_equal() -> None:
    # MAD is 0 (most households declared the same assets); the IQR fences still catch the extreme one.
    values = {1: 100, 2: 100, 3: 100, 4: 100, 5: 100, 6: 120, 7: 130, 8: 110, 9: 5_000}
    assert outliers(values) == {9: "high"}


def test_too_few_values_for_outliers() -> None:
    assert outliers({1: 1, 2: 2, 3: 1_000_000}) == {}


def test_id_consistent_with_sex_and_birth_date() -> None:
    assert id_inconsistencies(make_id("19700101", 11), "male", dt.date(1970, 1, 1)) == []


def test_id_contradicts_sex() -> None:
    # The 17th digit is odd for men; 12 is even: a woman's number.
    assert id_inconsistencies(make_id("19700101", 12), "male", dt.date(1970, 1, 1)) == ["sex_mismatch"]


def test_id_contradicts_birth_date_and_sex() -> None:
    problems = id_inconsistencies(make_id("19850615", 22), "male", dt.date(1958, 6, 15))
    assert problems == ["sex_mismatch", "birth_date_mismatch"]


def test_invalid_id_is_its_own_flag() -> None:
    number = make_id("19700101", 11)
    wrong_check = number[:-1] + ("0" if number[-1] != "0" else "1")
    assert id_inconsistencies(wrong_check, "male", dt.date(1970, 1, 1)) == ["bad_id"]
