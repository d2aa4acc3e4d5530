"""Tests for creditvillage.core.identifiers (pure functions, no database)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditvillage.core import identifiers as ids
from creditvillage.core.identifiers import (
    KINDS,
    PROVINCES,
    USCC_ALPHABET,
    USCC_AUTHORITIES,
    IdentifierError,
    ValidationResult,
    division_level,
    division_prefix,
    mask_mobile,
    mask_name,
    mask_resident_id,
    resident_id_check_char,
    uscc_check_char,
    validate,
    validate_division_code,
    validate_mobile,
    validate_resident_id,
    validate_uscc,
)

TODAY = dt.date(2025, 6, 15)

# The standard's own example, and a real-world pattern python-stdnum wrongly rejects (a 1985 birth
# carrying 天长市's code 341181, which was created in 1993).
STANDARD_EXAMPLE = "11010519491231002X"
TIANCHANG_1985 = "341181198506151236"
USCC_EXAMPLE = "91110000600037341L"


def make_resident_id(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


def make_uscc(first17: str) -> str:
    return first17 + uscc_check_char(first17)


def codes(result: ValidationResult) -> list[str]:
    return [error.code for error in result.errors]


# --------------------------------------------------------------------------------------------
# Result types
# --------------------------------------------------------------------------------------------


def test_results_are_frozen_and_hashable() -> None:
    result = validate_resident_id(STANDARD_EXAMPLE, today=TODAY)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.valid = False  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        IdentifierError("x", "y").code = "z"  # type: ignore[misc]
    assert hash(result) == hash(validate_resident_id(STANDARD_EXAMPLE, today=TODAY))
    assert result.error_codes == ()


# --------------------------------------------------------------------------------------------
# Resident identity number
# --------------------------------------------------------------------------------------------


def test_standard_example_is_valid_female_born_1949() -> None:
    result = validate_resident_id(STANDARD_EXAMPLE, today=TODAY)
    assert result == ValidationResult(
        valid=True,
        normalized=STANDARD_EXAMPLE,
        errors=(),
        details={"birth_date": "1949-12-31", "sex": "female", "area_code": "110105", "age": 75},
    )


def test_1985_birth_with_county_created_in_1993_is_valid() -> None:
    result = validate_resident_id(TIANCHANG_1985, today=TODAY)
    assert result.valid
    assert result.details == {"birth_date": "1985-06-15", "sex": "male", "area_code": "341181", "age": 40}


def test_stdnum_pitfall_ric_couples_county_to_birth_year() -> None:
    ric = pytest.importorskip("stdnum.cn.ric")
    assert not ric.is_valid(TIANCHANG_1985)  # the pitfall we deliberately avoid
    assert validate_resident_id(TIANCHANG_1985).valid


@pytest.mark.parametrize(
    ("today", "age"),
    [
        (dt.date(2025, 6, 14), 39),
        (dt.date(2025, 6, 15), 40),
        (dt.date(2026, 1, 1), 40),
    ],
)
def test_age_is_whole_years(today: dt.date, age: int) -> None:
    assert validate_resident_id(TIANCHANG_1985, today=today).details["age"] == age


def test_age_defaults_to_today() -> None:
    details = validate_resident_id(STANDARD_EXAMPLE).details
    assert isinstance(details["age"], int)
    assert details["age"] >= 75


@pytest.mark.parametrize(
    ("first17", "expected"),
    [
        ("11010519491231002", "X"),
        ("34118119850615123", "6"),
        ("36042619910101007", "1"),
        ("44052418800101001", "4"),
        ("11010520000229001", "3"),
        ("６５０１０２２０１００１０１００２", "5"),
    ],
)
def test_resident_id_check_char(first17: str, expected: str) -> None:
    # Expected values cross-checked with stdnum.iso7064.mod_11_2.calc_check_digit.
    assert resident_id_check_char(first17) == expected


def test_resident_id_check_char_matches_hand_computation() -> None:
    first17 = "11010519491231002"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    assert total % 11 == 2
    assert "10X98765432"[total % 11] == "X" == resident_id_check_char(first17)


@pytest.mark.parametrize("junk", ["", "1234", "1101051949123100X", "11010519491231002A", "1" * 18])
def test_resident_id_check_char_rejects_malformed_input(junk: str) -> None:
    with pytest.raises(ValueError, match="17 digits"):
        resident_id_check_char(junk)


@pytest.mark.parametrize(
    ("first17", "sex"),
    [("11010519491231001", "male"), ("11010519491231002", "female"), ("11010519491231009", "male")],
)
def test_sex_from_sequence_digit(first17: str, sex: str) -> None:
    assert validate_resident_id(make_resident_id(first17), today=TODAY).details["sex"] == sex


@pytest.mark.parametrize(
    "value",
    [
        "11010519491231002x",
        " 11010519491231002X ",
        "１１０１０５１９４９１２３１００２Ｘ",
        "１１０１０５１９４９１２３１００２ｘ",
        "110105 19491231 002X",
        "110105\u300019491231\u3000002x",
        "\ufeff11010519491231002X\u200b",
        "\t11010519491231002X\n",
    ],
)
def test_resident_id_normalisation(value: str) -> None:
    result = validate_resident_id(value, today=TODAY)
    assert result.valid
    assert result.normalized == STANDARD_EXAMPLE


@pytest.mark.parametrize(
    ("date", "code"),
    [
        ("19990230", "bad_birth_date"),
        ("19000229", "bad_birth_date"),
        ("19851301", "bad_birth_date"),
        ("19850100", "bad_birth_date"),
        ("19850631", "bad_birth_date"),
        ("00000000", "bad_birth_date"),
        ("18991231", "bad_birth_date"),
        ("20250616", "future_birth_date"),
        ("29991231", "future_birth_date"),
    ],
)
def test_bad_birth_dates(date: str, code: str) -> None:
    result = validate_resident_id(make_resident_id(f"110105{date}002"), today=TODAY)
    assert not result.valid
    assert codes(result) == [code]
    assert result.details == {}


@pytest.mark.parametrize("date", ["19000101", "20000229", "20250615"])
def test_boundary_birth_dates_are_valid(date: str) -> None:
    result = validate_resident_id(make_resident_id(f"110105{date}002"), today=TODAY)
    assert result.valid
    assert result.details["birth_date"] == f"{date[:4]}-{date[4:6]}-{date[6:]}"


def test_birth_today_is_age_zero() -> None:
    assert validate_resident_id(make_resident_id("11010520250615002"), today=TODAY).details["age"] == 0


def test_bad_check_digit_message_names_expected_char() -> None:
    result = validate_resident_id("110105194912310021", today=TODAY)
    assert codes(result) == ["bad_check_digit"]
    assert "X" in result.errors[0].message
    assert "校验位" in result.errors[0].message


def test_independent_errors_are_all_reported() -> None:
    # 1999-02-30 does not exist, and the last character is wrong as well.
    first17 = "11010519990230002"
    wrong = "0" if resident_id_check_char(first17) != "0" else "1"
    result = validate_resident_id(first17 + wrong, today=TODAY)
    assert codes(result) == ["bad_birth_date", "bad_check_digit"]


def test_unknown_province_future_date_and_check_digit_together() -> None:
    first17 = "99010520990101002"
    wrong = "0" if resident_id_check_char(first17) != "0" else "1"
    result = validate_resident_id(first17 + wrong, today=TODAY)
    assert codes(result) == ["unknown_area_code", "future_birth_date", "bad_check_digit"]


@pytest.mark.parametrize(
    "province", ["00", "10", "16", "20", "24", "30", "38", "47", "55", "60", "66", "72", "83", "91", "99"]
)
def test_unknown_province_codes(province: str) -> None:
    result = validate_resident_id(make_resident_id(f"{province}010519491231002"), today=TODAY)
    assert codes(result) == ["unknown_area_code"]


@pytest.mark.parametrize("province", sorted(PROVINCES))
def test_every_real_province_code_is_accepted(province: str) -> None:
    assert validate_resident_id(make_resident_id(f"{province}010519491231002"), today=TODAY).valid


def test_province_table_is_the_documented_set() -> None:
    expected = (
        {str(n) for n in range(11, 16)}
        | {"21", "22", "23"}
        | {str(n) for n in range(31, 38)}
        | {str(n) for n in range(41, 47)}
        | {str(n) for n in range(50, 55)}
        | {str(n) for n in range(61, 66)}
        | {"71", "81", "82"}
    )
    assert set(PROVINCES) == expected


@pytest.mark.parametrize(
    ("value", "expected_codes"),
    [
        ("", ["bad_length"]),
        ("   ", ["bad_length"]),
        ("11010519491231002", ["bad_length"]),
        ("11010519491231002XX", ["bad_length", "bad_characters"]),
        ("1101051949123100211", ["bad_length"]),
        ("110105194912310X2X", ["bad_characters"]),
        ("11010519491231002Y", ["bad_characters"]),
        ("A1010519491231002X", ["bad_characters"]),
        ("11010519491231002-", ["bad_characters"]),
        ("１１０１０５一九四九１２３１００２Ｘ", ["bad_characters"]),
        ("١١٠١٠٥١٩٤٩١٢٣١٠٠٢X", ["bad_characters"]),  # Arabic-Indic digits are not ASCII digits
        ("身份证号码", ["bad_length", "bad_characters"]),
        ("x" * 65, ["bad_length"]),
        ("1" * 10_000, ["bad_length"]),
    ],
)
def test_resident_id_shape_errors(value: str, expected_codes: list[str]) -> None:
    result = validate_resident_id(value, today=TODAY)
    assert not result.valid
    assert codes(result) == expected_codes
    assert result.details == {}


def test_too_long_input_has_empty_normalized() -> None:
    result = validate_resident_id("1" * 1_000_000)
    assert result.normalized == ""
    assert codes(result) == ["bad_length"]


def test_padding_does_not_count_towards_the_length_limit() -> None:
    assert validate_resident_id(" " * 100 + STANDARD_EXAMPLE + " " * 100, today=TODAY).valid


def test_legacy_15_digit_numbers_are_rejected_with_advice() -> None:
    result = validate_resident_id("110105491231002")
    assert codes(result) == ["legacy_15_digit"]
    assert "18位" in result.errors[0].message
    assert result.normalized == "110105491231002"


def test_messages_are_chinese_strings() -> None:
    result = validate_resident_id("110105199902300021", today=TODAY)
    for error in result.errors:
        assert type(error.message) is str
        assert "身份证" in error.message


# --------------------------------------------------------------------------------------------
# USCC
# --------------------------------------------------------------------------------------------


def test_uscc_example_is_valid() -> None:
    result = validate_uscc(USCC_EXAMPLE)
    assert result == ValidationResult(
        valid=True,
        normalized=USCC_EXAMPLE,
        errors=(),
        details={
            "authority_code": "9",
            "authority": "工商/市场监管",
            "category_code": "1",
            "category": "企业",
            "area_code": "110000",
            "is_collective": False,
        },
    )


def test_uscc_check_char_matches_example_and_hand_computation() -> None:
    first17 = USCC_EXAMPLE[:17]
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, weights, strict=True))
    assert USCC_ALPHABET[(31 - total % 31) % 31] == "L" == uscc_check_char(first17)


@pytest.mark.parametrize(
    ("category", "name"),
    [("1", "组级集体经济组织"), ("2", "村级集体经济组织"), ("3", "乡镇级集体经济组织"), ("9", "其他")],
)
def test_village_collective_uscc_is_valid(category: str, name: str) -> None:
    code = make_uscc(f"N{category}341181MA2N0000{category}")
    result = validate_uscc(code)
    assert result.valid, result.errors
    assert result.details == {
        "authority_code": "N",
        "authority": "农业",
        "category_code": category,
        "category": name,
        "area_code": "341181",
        "is_collective": True,
    }


def test_stdnum_pitfall_uscc_rejects_village_collectives() -> None:
    stdnum_uscc = pytest.importorskip("stdnum.cn.uscc")
    code = make_uscc("N2341181MA2N00001")
    assert validate_uscc(code).valid
    assert not stdnum_uscc.is_valid(code)  # the pitfall we deliberately avoid


@pytest.mark.parametrize(
    ("prefix", "authority", "category"),
    [
        ("11", "机构编制", "机关"),
        ("12", "机构编制", "事业单位"),
        ("13", "机构编制", "群众团体（中央编办直接管理机构编制的）"),
        ("21", "外交", "外国常驻新闻机构"),
        ("31", "司法行政", "律师执业机构"),
        ("32", "司法行政", "公证处"),
        ("41", "文化", "外国在华文化中心"),
        ("51", "民政", "社会团体"),
        ("52", "民政", "民办非企业单位"),
        ("53", "民政", "基金会"),
        ("59", "民政", "其他"),
        ("61", "旅游", "外国旅游部门常驻代表机构"),
        ("71", "宗教", "宗教活动场所"),
        ("81", "工会", "基层工会"),
        ("92", "工商/市场监管", "个体工商户"),
        ("93", "工商/市场监管", "农民专业合作社"),
        ("A1", "中央军委改革和编制办公室", "军队事业单位"),
        ("A9", "中央军委改革和编制办公室", "其他"),
        ("Y1", "其他", "其他"),
    ],
)
def test_uscc_authority_and_category_decoding(prefix: str, authority: str, category: str) -> None:
    result = validate_uscc(make_uscc(f"{prefix}341181MA2N00001"))
    assert result.valid, result.errors
    assert result.details["authority"] == authority
    assert result.details["category"] == category
    assert result.details["is_collective"] is False


@pytest.mark.parametrize("prefix", ["01", "B1", "M1", "X1", "G1"])
def test_uscc_unknown_authority(prefix: str) -> None:
    assert codes(validate_uscc(make_uscc(f"{prefix}341181MA2N00001"))) == ["bad_authority"]


@pytest.mark.parametrize("prefix", ["94", "99", "90", "Y2", "N4", "1A", "55", "Y9"])
def test_uscc_category_not_allowed_for_authority(prefix: str) -> None:
    result = validate_uscc(make_uscc(f"{prefix}341181MA2N00001"))
    assert codes(result) == ["bad_category"]


def test_uscc_area_code_must_be_digits() -> None:
    assert codes(validate_uscc(make_uscc("91A41181MA2N00001"))) == ["bad_area_code"]


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_uscc_forbidden_letters_rejected(letter: str) -> None:
    value = USCC_EXAMPLE[:10] + letter + USCC_EXAMPLE[11:]
    result = validate_uscc(value)
    assert codes(result) == ["bad_characters"]
    assert letter in result.errors[0].message


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_uscc_check_char_refuses_forbidden_letters(letter: str) -> None:
    with pytest.raises(ValueError, match="USCC alphabet"):
        uscc_check_char(USCC_EXAMPLE[:16] + letter)


def test_uscc_bad_check_char() -> None:
    result = validate_uscc(USCC_EXAMPLE[:17] + "M")
    assert codes(result) == ["bad_check_digit"]
    assert "L" in result.errors[0].message


def test_uscc_independent_errors_are_all_reported() -> None:
    result = validate_uscc("B4A10000600037341L")
    assert codes(result) == ["bad_authority", "bad_area_code", "bad_check_digit"]


@pytest.mark.parametrize(
    "value",
    [
        "91110000600037341l",
        " 9111 0000 6000 3734 1L ",
        "９１１１００００６０００３７３４１Ｌ",
        "９１１１００００６０００３７３４１ｌ",
    ],
)
def test_uscc_normalisation(value: str) -> None:
    result = validate_uscc(value)
    assert result.valid
    assert result.normalized == USCC_EXAMPLE


@pytest.mark.parametrize(
    ("value", "expected_codes"),
    [
        ("", ["bad_length"]),
        ("91110000600037341", ["bad_length"]),
        ("91110000600037341LL", ["bad_length"]),
        ("9111000060003734!L", ["bad_characters"]),
        ("统一社会信用代码", ["bad_length", "bad_characters"]),
        ("9" * 65, ["bad_length"]),
    ],
)
def test_uscc_shape_errors(value: str, expected_codes: list[str]) -> None:
    result = validate_uscc(value)
    assert codes(result) == expected_codes
    assert result.details == {}


def test_uscc_tables_cover_documented_authorities() -> None:
    assert set(USCC_AUTHORITIES) == set("123456789ANY")
    assert set(USCC_AUTHORITIES["N"][1]) == {"1", "2", "3", "9"}
    assert set(USCC_AUTHORITIES["9"][1]) == {"1", "2", "3"}
    assert set(USCC_AUTHORITIES["Y"][1]) == {"1"}


# --------------------------------------------------------------------------------------------
# Mobile numbers
# --------------------------------------------------------------------------------------------

CN_MOBILE_PATTERN = r"1(?:610\d|740[0-5])\d{6}|1(?:[38]\d|4[57]|[59][0-35-9]|6[25-7]|7[0-35-8])\d{8}"


@pytest.mark.parametrize(
    "number",
    ["13800138000", "19912345678", "16212345678", "17012345678", "19212345678", "14512345678", "18612345678"],
)
def test_valid_mobiles(number: str) -> None:
    result = validate_mobile(number)
    assert result == ValidationResult(True, number, (), {"carrier_prefix": number[:3]})


@pytest.mark.parametrize("number", ["12345678901", "14012345678", "10012345678", "11012345678", "15412345678"])
def test_invalid_mobile_prefixes(number: str) -> None:
    result = validate_mobile(number)
    assert codes(result) == ["bad_prefix"]
    assert result.normalized == number


def test_landline_is_not_a_mobile() -> None:
    assert codes(validate_mobile("01012345678")) == ["bad_prefix"]
    assert codes(validate_mobile("+861012345678")) == ["bad_length"]


def test_phonenumbers_agrees_with_documented_pattern() -> None:
    for number in ["13800138000", "19912345678", "16212345678", "17012345678", "19212345678"]:
        assert re.fullmatch(CN_MOBILE_PATTERN, number)
    for number in ["12345678901", "14012345678"]:
        assert not re.fullmatch(CN_MOBILE_PATTERN, number)


@pytest.mark.parametrize(
    "value",
    [
        "+8613800138000",
        "+86 138 0013 8000",
        "008613800138000",
        "0086-138-0013-8000",
        "138-0013-8000",
        "138 0013 8000",
        "＋８６１３８００１３８０００",
        "１３８－００１３－８０００",
        "138\u20140013\u20148000",
    ],
)
def test_mobile_normalisation(value: str) -> None:
    result = validate_mobile(value)
    assert result.valid, result.errors
    assert result.normalized == "13800138000"


@pytest.mark.parametrize(
    ("value", "expected_codes"),
    [
        ("", ["bad_length"]),
        ("+86", ["bad_length"]),
        ("1380013800", ["bad_length"]),
        ("138001380001", ["bad_length"]),
        ("1380013800a", ["bad_characters"]),
        ("138001380(0)", ["bad_length", "bad_characters"]),
        ("+85291234567", ["bad_prefix"]),
        ("8613800138000", ["bad_length"]),
        ("1" * 65, ["bad_length"]),
    ],
)
def test_mobile_errors(value: str, expected_codes: list[str]) -> None:
    result = validate_mobile(value)
    assert codes(result) == expected_codes
    assert result.details == {}


# --------------------------------------------------------------------------------------------
# Division codes
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "normalized", "details"),
    [
        ("34", "340000000000", {"level": "province", "prefix": "34", "province": "安徽省"}),
        ("3411", "341100000000", {"level": "city", "prefix": "3411", "province": "安徽省"}),
        ("341181", "341181000000", {"level": "county", "prefix": "341181", "province": "安徽省"}),
        ("341181000000", "341181000000", {"level": "county", "prefix": "341181", "province": "安徽省"}),
        (
            "341502204",
            "341502204000",
            {"level": "township", "prefix": "341502204", "province": "安徽省", "township_kind": "township"},
        ),
        (
            "341181003",
            "341181003000",
            {
                "level": "township",
                "prefix": "341181003",
                "province": "安徽省",
                "township_kind": "subdistrict",
            },
        ),
        (
            "130803103000",
            "130803103000",
            {"level": "township", "prefix": "130803103", "province": "河北省", "township_kind": "town"},
        ),
        (
            "650102400",
            "650102400000",
            {
                "level": "township",
                "prefix": "650102400",
                "province": "新疆维吾尔自治区",
                "township_kind": "state_farm",
            },
        ),
        (
            "341181103200",
            "341181103200",
            {
                "level": "village",
                "prefix": "341181103200",
                "province": "安徽省",
                "township_kind": "town",
                "village_kind": "village",
            },
        ),
        (
            "341181103001",
            "341181103001",
            {
                "level": "village",
                "prefix": "341181103001",
                "province": "安徽省",
                "township_kind": "town",
                "village_kind": "community",
            },
        ),
        (
            " ３４１１８１１０３２０３ ",
            "341181103203",
            {
                "level": "village",
                "prefix": "341181103203",
                "province": "安徽省",
                "township_kind": "town",
                "village_kind": "village",
            },
        ),
    ],
)
def test_valid_division_codes(value: str, normalized: str, details: dict[str, object]) -> None:
    assert validate_division_code(value) == ValidationResult(True, normalized, (), details)


@pytest.mark.parametrize(
    ("value", "expected_codes"),
    [
        ("340081", ["bad_segment"]),  # county without a city
        ("341100001", ["bad_segment"]),  # township without a county
        ("341181000200", ["bad_segment"]),  # village without a township
        ("340000000200", ["bad_segment"]),
        ("341181600", ["bad_segment"]),  # township segment out of range
        ("341181999000", ["bad_segment"]),
        ("341181103400", ["bad_segment"]),  # village segment out of range
        ("341181103999", ["bad_segment"]),
        ("341181600400", ["bad_segment", "bad_segment"]),
        ("99", ["unknown_area_code"]),
        ("000000000000", ["unknown_area_code"]),
        ("001181103200", ["unknown_area_code"]),
        ("", ["bad_length"]),
        ("3", ["bad_length"]),
        ("341", ["bad_length"]),
        ("34118", ["bad_length"]),
        ("3411811", ["bad_length"]),
        ("3411811032", ["bad_length"]),
        ("3411811032001", ["bad_length"]),
        ("34118110320X", ["bad_characters"]),
        ("34-11", ["bad_length", "bad_characters"]),
        ("34-1", ["bad_characters"]),
        ("天长市", ["bad_length", "bad_characters"]),
        ("3" * 65, ["bad_length"]),
    ],
)
def test_invalid_division_codes(value: str, expected_codes: list[str]) -> None:
    result = validate_division_code(value)
    assert not result.valid
    assert codes(result) == expected_codes
    assert result.details == {}


@pytest.mark.parametrize(
    ("code", "level", "prefix"),
    [
        ("34", "province", "34"),
        ("340000000000", "province", "34"),
        ("3411", "city", "3411"),
        ("341100000000", "city", "3411"),
        ("341181", "county", "341181"),
        ("341502204", "township", "341502204"),
        ("341502204000", "township", "341502204"),
        ("341181103200", "village", "341181103200"),
        ("341181103001", "village", "341181103001"),
    ],
)
def test_division_level_and_prefix(code: str, level: str, prefix: str) -> None:
    assert division_level(code) == level
    assert division_prefix(code) == prefix


@pytest.mark.parametrize("junk", ["", "3", "34118", "00", "000000000000", "34118110320X", "x" * 100])
def test_division_helpers_reject_junk(junk: str) -> None:
    with pytest.raises(ValueError, match="division code"):
        division_level(junk)
    with pytest.raises(ValueError, match="division code"):
        division_prefix(junk)


# --------------------------------------------------------------------------------------------
# Dispatch
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("resident_id", STANDARD_EXAMPLE),
        ("uscc", USCC_EXAMPLE),
        ("mobile", "13800138000"),
        ("division_code", "341181103200"),
    ],
)
def test_validate_dispatches(kind: str, value: str) -> None:
    assert validate(kind, value).valid
    assert not validate(kind, "").valid


def test_kinds() -> None:
    assert KINDS == ("resident_id", "uscc", "mobile", "division_code")


@pytest.mark.parametrize("kind", ["", "ID", "passport", "Resident_ID"])
def test_validate_unknown_kind(kind: str) -> None:
    with pytest.raises(ValueError, match="unknown identifier kind"):
        validate(kind, STANDARD_EXAMPLE)


# --------------------------------------------------------------------------------------------
# Masking
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        (TIANCHANG_1985, "341181********1236"),
        (STANDARD_EXAMPLE, "110105********002X"),
        ("11010519491231002x", "110105********002X"),
        ("１１０１０５１９４９１２３１００２ｘ", "110105********002X"),
        ("110105 19491231 002X", "110105********002X"),
        ("", ""),
        ("1234", "****"),
        ("110105491231002", "***************"),
        ("1101051949123100211", "******************"),
        ("9" * 10_000, "******************"),
    ],
)
def test_mask_resident_id(value: str, masked: str) -> None:
    assert mask_resident_id(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13800138000", "138****8000"),
        ("+86 138-0013-8000", "138****8000"),
        ("", ""),
        ("12345", "*****"),
        ("1380013800a", "***********"),
        ("1" * 10_000, "***********"),
    ],
)
def test_mask_mobile(value: str, masked: str) -> None:
    assert mask_mobile(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("张三明", "张*明"),
        ("张三", "张*"),
        ("欧阳明月", "欧**月"),
        ("阿卜杜·热合曼", "阿*****曼"),
        (" 李四 ", "李*"),
        ("王", "*"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_mask_name(value: str, masked: str) -> None:
    assert mask_name(value) == masked


# --------------------------------------------------------------------------------------------
# Totality and properties
# --------------------------------------------------------------------------------------------

ALL_VALIDATORS = (validate_resident_id, validate_uscc, validate_mobile, validate_division_code)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_validators_and_masks_never_raise(value: str) -> None:
    for validator in ALL_VALIDATORS:
        result = validator(value)
        assert isinstance(result, ValidationResult)
        assert result.valid == (not result.errors)
        assert result.valid or result.details == {}
        assert all(isinstance(e.message, str) and e.message for e in result.errors)
    for mask in (mask_resident_id, mask_mobile, mask_name):
        assert isinstance(mask(value), str)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789Xx+- \u3000０１２３４５６７８９ＸＬN", max_size=24))
def test_validators_never_raise_on_near_miss_input(value: str) -> None:
    for validator in ALL_VALIDATORS:
        validator(value)


def test_non_string_junk_does_not_raise() -> None:
    for junk in (None, 123, b"11010519491231002X", ["x"]):
        for validator in ALL_VALIDATORS:
            assert not validator(junk).valid  # type: ignore[arg-type]
        for mask in (mask_resident_id, mask_mobile, mask_name):
            assert mask(junk) == ""  # type: ignore[arg-type]


@st.composite
def resident_id_prefixes(draw: st.DrawFn) -> str:
    province = draw(st.sampled_from(sorted(PROVINCES)))
    rest_of_area = draw(st.from_regex(r"\A[0-9]{4}\Z"))
    birth = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY))
    sequence = draw(st.from_regex(r"\A[0-9]{3}\Z"))
    return f"{province}{rest_of_area}{birth:%Y%m%d}{sequence}"


@settings(max_examples=200, deadline=None)
@given(resident_id_prefixes(), st.integers(min_value=0, max_value=17), st.integers(min_value=1, max_value=10))
def test_resident_id_check_char_property(first17: str, position: int, shift: int) -> None:
    number = first17 + resident_id_check_char(first17)
    assert validate_resident_id(number, today=TODAY).valid

    check_chars = "0123456789X"
    if position == 17:
        replacement = check_chars[(check_chars.index(number[17]) + shift) % 11]
    else:
        replacement = str((int(number[position]) + shift) % 10)
        if replacement == number[position]:
            replacement = str((int(replacement) + 1) % 10)
    mutated = number[:position] + replacement + number[position + 1 :]
    assert mutated != number
    assert not validate_resident_id(mutated, today=TODAY).valid


@st.composite
def uscc_prefixes(draw: st.DrawFn) -> str:
    authority = draw(st.sampled_from(sorted(USCC_AUTHORITIES)))
    category = draw(st.sampled_from(sorted(USCC_AUTHORITIES[authority][1])))
    area = draw(st.from_regex(r"\A[0-9]{6}\Z"))
    body = draw(st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9))
    return f"{authority}{category}{area}{body}"


@settings(max_examples=200, deadline=None)
@given(uscc_prefixes(), st.integers(min_value=0, max_value=17), st.integers(min_value=1, max_value=30))
def test_uscc_check_char_property(first17: str, position: int, shift: int) -> None:
    code = first17 + uscc_check_char(first17)
    result = validate_uscc(code)
    assert result.valid, result.errors
    assert result.details["is_collective"] is (first17[0] == "N")

    replacement = USCC_ALPHABET[(USCC_ALPHABET.index(code[position]) + shift) % 31]
    mutated = code[:position] + replacement + code[position + 1 :]
    assert mutated != code
    assert not validate_uscc(mutated).valid


def test_module_has_no_orm_imports() -> None:
    source = Path(ids.__file__).read_text(encoding="utf-8")
    assert "django.db" not in source
    assert ".models" not in source


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"\A[0-9]{17}\Z"))
def test_resident_id_check_char_agrees_with_stdnum(first17: str) -> None:
    mod_11_2 = pytest.importorskip("stdnum.iso7064.mod_11_2")
    assert resident_id_check_char(first17) == mod_11_2.calc_check_digit(first17)


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"\A[0-9]{8}\Z"), st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9))
def test_uscc_check_char_agrees_with_stdnum(head: str, body: str) -> None:
    stdnum_uscc = pytest.importorskip("stdnum.cn.uscc")
    assert uscc_check_char(head + body) == stdnum_uscc.calc_check_digit(head + body)
