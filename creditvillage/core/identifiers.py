"""Validators for Chinese identifiers: resident ID, USCC, mobile number, statistical division code.

Pure Python (no ORM). Each ``validate_*`` function takes any ``str`` and never raises. It returns
a :class:`ValidationResult` with a normalised form of the input, *all* the independent errors
it found (each with a stable snake_case ``code`` and a Chinese message), and decoded ``details``.
``details`` is filled only when the value is valid, so callers never show decoded data from a
number that is wrong.

Rules follow ``design/domain-reference.md`` §6:

* resident ID: GB 11643-1999, ISO 7064 MOD 11-2. The county code is deliberately **not** tied to
  the birth year; python-stdnum does tie them and so wrongly rejects real numbers such as a 1985
  birth under 341181.
* USCC: GB 32100-2015 with Amendment 1. Letters are allowed in positions 1-2, so village
  collective codes (``N1``/``N2``/``N3``) pass. python-stdnum rejects them.
* mobile: the libphonenumber CN metadata (``phonenumbers``), mobile number types only.
* division code: the NBS 12-digit 统计用区划代码 (2+2+2+3+3), with range checks on the
  township and village segments.

The messages are Chinese msgids. They are translated eagerly through Django's ``gettext`` when
Django is set up, and used as they are otherwise (plain scripts, ``-p no:django``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Final

import phonenumbers
from django.core.exceptions import AppRegistryNotReady, ImproperlyConfigured
from django.utils.translation import gettext as _django_gettext

__all__ = [
    "KINDS",
    "IdentifierError",
    "ValidationResult",
    "division_level",
    "division_prefix",
    "mask_mobile",
    "mask_name",
    "mask_resident_id",
    "resident_id_check_char",
    "uscc_check_char",
    "validate",
    "validate_division_code",
    "validate_mobile",
    "validate_resident_id",
    "validate_uscc",
]


def _(message: str) -> str:
    """Translate ``message`` now; fall back to the Chinese msgid when Django is not set up."""
    try:
        return _django_gettext(message)
    except (ImproperlyConfigured, AppRegistryNotReady):
        return message


# --------------------------------------------------------------------------------------------
# Result types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IdentifierError:
    """One problem found in an identifier.

    ``code`` is a stable snake_case string for programs. ``message`` is for people (Chinese by
    default).
    """

    code: str
    message: str


@dataclass(frozen=True)
class ValidationResult:
    """Outcome of validating one identifier.

    ``normalized``: the input trimmed, with full-width characters made half-width, ASCII letters
    upper-cased and internal spaces removed. For a valid division code it is the 12-digit form;
    for a mobile it is the 11-digit national number. It is empty when the input is too long.
    ``details`` is empty unless ``valid``.
    """

    valid: bool
    normalized: str
    errors: tuple[IdentifierError, ...] = ()
    details: dict[str, object] = field(default_factory=dict, hash=False)

    @property
    def error_codes(self) -> tuple[str, ...]:
        return tuple(error.code for error in self.errors)


KINDS: Final[tuple[str, ...]] = ("resident_id", "uscc", "mobile", "division_code")

MAX_INPUT_LENGTH: Final = 64

# --------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------

_DIGITS: Final = frozenset("0123456789")

# Full-width ASCII block U+FF01..U+FF5E maps onto U+0021..U+007E; U+3000 is the ideographic
# space. ASCII lower-case letters are upper-cased in the same pass (only ASCII, so that e.g.
# "ß" or "ﬁ" never turns into Latin letters that look acceptable).
_WIDTH_AND_CASE: Final[dict[int, int]] = {
    **{code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)},
    0x3000: 0x20,
}
for _code in range(ord("a"), ord("z") + 1):
    _WIDTH_AND_CASE[_code] = _code - 32
    _WIDTH_AND_CASE[_code + 0xFEE0] = _code - 32  # full-width lower-case letter
del _code

# Characters that copy-and-paste from web pages and spreadsheets leaves behind invisibly.
_INVISIBLE: Final = re.compile(r"[\s\u200b-\u200d\u2060\ufeff]+")
_DASHES: Final = re.compile(r"[-\u2010-\u2015\u2212]")


def _normalize(value: object) -> str | None:
    """Half-width, upper-case, no whitespace. ``None`` if too long; ``""`` for a non-``str``."""
    if not isinstance(value, str):
        return ""
    if len(value) > MAX_INPUT_LENGTH:
        value = value.strip()
        if len(value) > MAX_INPUT_LENGTH:
            return None
    return _INVISIBLE.sub("", value.translate(_WIDTH_AND_CASE))


def _too_long(what: str, expected: str) -> ValidationResult:
    message = _("%(what)s过长，应为%(expected)s") % {"what": what, "expected": expected}
    return ValidationResult(False, "", (IdentifierError("bad_length", message),))


def _is_digits(text: str) -> bool:
    return bool(text) and all(char in _DIGITS for char in text)


# --------------------------------------------------------------------------------------------
# Provinces (first two digits of GB/T 2260 and of the statistical division code)
# --------------------------------------------------------------------------------------------

PROVINCES: Final[dict[str, str]] = {
    "11": "北京市",
    "12": "天津市",
    "13": "河北省",
    "14": "山西省",
    "15": "内蒙古自治区",
    "21": "辽宁省",
    "22": "吉林省",
    "23": "黑龙江省",
    "31": "上海市",
    "32": "江苏省",
    "33": "浙江省",
    "34": "安徽省",
    "35": "福建省",
    "36": "江西省",
    "37": "山东省",
    "41": "河南省",
    "42": "湖北省",
    "43": "湖南省",
    "44": "广东省",
    "45": "广西壮族自治区",
    "46": "海南省",
    "50": "重庆市",
    "51": "四川省",
    "52": "贵州省",
    "53": "云南省",
    "54": "西藏自治区",
    "61": "陕西省",
    "62": "甘肃省",
    "63": "青海省",
    "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
    "71": "台湾省",
    "81": "香港特别行政区",
    "82": "澳门特别行政区",
}

# --------------------------------------------------------------------------------------------
# Resident identity number (GB 11643-1999)
# --------------------------------------------------------------------------------------------

_RID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RID_CHECK: Final = "10X98765432"
_RID_LAST_CHARS: Final = frozenset(_RID_CHECK)
_EARLIEST_BIRTH: Final = dt.date(1900, 1, 1)
_CHINA_TZ: Final = dt.timezone(dt.timedelta(hours=8), "CST")  # no DST in China since 1991


def _today() -> dt.date:
    return dt.datetime.now(tz=_CHINA_TZ).date()


def resident_id_check_char(first17: str) -> str:
    """The MOD 11-2 check character (``0``-``9`` or ``X``) for the first 17 digits of an ID.

    Raises ``ValueError`` unless ``first17`` is exactly 17 ASCII digits (full-width digits are
    accepted).
    """
    digits = _normalize(first17)
    if digits is None or len(digits) != 17 or not _is_digits(digits):
        raise ValueError("resident_id_check_char needs exactly 17 digits")
    total = sum(int(digit) * weight for digit, weight in zip(digits, _RID_WEIGHTS, strict=True))
    return _RID_CHECK[total % 11]


def _age_on(birth: dt.date, today: dt.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def validate_resident_id(value: str, *, today: dt.date | None = None) -> ValidationResult:
    """Validate an 18-character resident identity number.

    Checks the length, the characters, the province code, the birth date (a real date, between
    1900-01-01 and ``today``) and the check character. It reports every independent error.
    Details: ``birth_date`` (ISO), ``sex`` (``male``/``female``), ``area_code`` (6 digits) and
    ``age`` (whole years on ``today``; China's date by default).
    """
    normalized = _normalize(value)
    if normalized is None:
        return _too_long(_("身份证号码"), _("18位"))
    if not normalized:
        return ValidationResult(False, "", (IdentifierError("bad_length", _("身份证号码不能为空，应为18位")),))
    if len(normalized) == 15 and _is_digits(normalized):
        message = _("这是15位的旧版身份证号码，请使用18位的居民身份证号码")
        return ValidationResult(False, normalized, (IdentifierError("legacy_15_digit", message),))

    errors: list[IdentifierError] = []
    if len(normalized) != 18:
        message = _("身份证号码应为18位，实际为%(length)d位") % {"length": len(normalized)}
        errors.append(IdentifierError("bad_length", message))
    if any(char not in _DIGITS for char in normalized[:-1]) or normalized[-1] not in _RID_LAST_CHARS:
        message = _("身份证号码前17位应为数字，最后一位应为数字或X")
        errors.append(IdentifierError("bad_characters", message))
    if len(normalized) != 18 or errors:
        # The segments cannot be located reliably in a number of the wrong length or alphabet.
        return ValidationResult(False, normalized, tuple(errors))

    area_code = normalized[:6]
    if area_code[:2] not in PROVINCES:
        message = _("身份证号码前两位%(code)s不是有效的省级行政区划代码") % {"code": area_code[:2]}
        errors.append(IdentifierError("unknown_area_code", message))

    today = today or _today()
    raw_date = normalized[6:14]
    birth: dt.date | None = None
    try:
        birth = dt.date(int(raw_date[:4]), int(raw_date[4:6]), int(raw_date[6:]))
    except ValueError:
        message = _("身份证号码中的出生日期%(date)s不是有效日期（应为YYYYMMDD）") % {"date": raw_date}
        errors.append(IdentifierError("bad_birth_date", message))
    else:
        if birth < _EARLIEST_BIRTH:
            message = _("身份证号码中的出生日期%(date)s早于1900年1月1日") % {"date": birth.isoformat()}
            errors.append(IdentifierError("bad_birth_date", message))
        elif birth > today:
            message = _("身份证号码中的出生日期%(date)s晚于今天") % {"date": birth.isoformat()}
            errors.append(IdentifierError("future_birth_date", message))

    body, last = normalized[:17], normalized[17]
    expected = resident_id_check_char(body)
    if last != expected:
        message = _("身份证号码校验位错误：最后一位应为%(expected)s，实际为%(actual)s") % {
            "expected": expected,
            "actual": last,
        }
        errors.append(IdentifierError("bad_check_digit", message))

    if errors or birth is None:
        return ValidationResult(False, normalized, tuple(errors))
    details: dict[str, object] = {
        "birth_date": birth.isoformat(),
        "sex": "male" if int(normalized[16]) % 2 == 1 else "female",
        "area_code": area_code,
        "age": _age_on(birth, today),
    }
    return ValidationResult(True, normalized, (), details)


# --------------------------------------------------------------------------------------------
# Unified social credit code (GB 32100-2015, Amendment 1 of 2016)
# --------------------------------------------------------------------------------------------

USCC_ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUES: Final[dict[str, int]] = {char: index for index, char in enumerate(USCC_ALPHABET)}
_USCC_WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_FORBIDDEN: Final = frozenset("IOSVZ")

# Registration authority (position 1) -> (name, {category (position 2) -> name}).
USCC_AUTHORITIES: Final[dict[str, tuple[str, dict[str, str]]]] = {
    "1": (
        "机构编制",
        {"1": "机关", "2": "事业单位", "3": "群众团体（中央编办直接管理机构编制的）", "9": "其他"},
    ),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": (
        "司法行政",
        {
            "1": "律师执业机构",
            "2": "公证处",
            "3": "基层法律服务所",
            "4": "司法鉴定机构",
            "5": "仲裁委员会",
            "9": "其他",
        },
    ),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": (
        "旅游",
        {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地（大陆）代表机构", "9": "其他"},
    ),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商/市场监管", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": (
        "农业",
        {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"},
    ),
    "Y": ("其他", {"1": "其他"}),
}


def uscc_check_char(first17: str) -> str:
    """The check character of a USCC from its first 17 characters.

    Raises ``ValueError`` unless ``first17`` is 17 characters of the USCC alphabet (after
    normalisation: full-width and lower-case letters are accepted).
    """
    body = _normalize(first17)
    if body is None or len(body) != 17 or any(char not in _USCC_VALUES for char in body):
        raise ValueError("uscc_check_char needs exactly 17 characters of the USCC alphabet")
    total = sum(_USCC_VALUES[char] * weight for char, weight in zip(body, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(value: str) -> ValidationResult:
    """Validate an 18-character unified social credit code.

    Checks the length and the alphabet (no I, O, S, V or Z), the authority and category codes
    (letters allowed, e.g. ``N2`` for a village collective), the 6-digit area code and the check
    character. Details: ``authority_code``, ``authority``, ``category_code``, ``category``,
    ``area_code`` and ``is_collective`` (authority ``N``).
    """
    normalized = _normalize(value)
    if normalized is None:
        return _too_long(_("统一社会信用代码"), _("18位"))
    if not normalized:
        message = _("统一社会信用代码不能为空，应为18位")
        return ValidationResult(False, "", (IdentifierError("bad_length", message),))

    errors: list[IdentifierError] = []
    if len(normalized) != 18:
        message = _("统一社会信用代码应为18位，实际为%(length)d位") % {"length": len(normalized)}
        errors.append(IdentifierError("bad_length", message))
    bad_chars = sorted({char for char in normalized if char not in _USCC_VALUES})
    if bad_chars:
        forbidden = "".join(char for char in bad_chars if char in _USCC_FORBIDDEN)
        if forbidden:
            message = _("统一社会信用代码不使用字母I、O、S、V、Z，但包含%(chars)s") % {"chars": forbidden}
        else:
            message = _("统一社会信用代码只能由数字和大写字母（不含I、O、S、V、Z）组成")
        errors.append(IdentifierError("bad_characters", message))
    if errors:
        return ValidationResult(False, normalized, tuple(errors))

    authority_code, category_code, area_code = normalized[0], normalized[1], normalized[2:8]
    authority = USCC_AUTHORITIES.get(authority_code)
    if authority is None:
        message = _("统一社会信用代码第1位%(code)s不是有效的登记管理部门代码") % {"code": authority_code}
        errors.append(IdentifierError("bad_authority", message))
    elif category_code not in authority[1]:
        message = _("统一社会信用代码第2位%(code)s不是%(authority)s部门的机构类别代码（应为%(allowed)s）") % {
            "code": category_code,
            "authority": authority[0],
            "allowed": "、".join(authority[1]),
        }
        errors.append(IdentifierError("bad_category", message))
    if not _is_digits(area_code):
        message = _("统一社会信用代码第3-8位应为数字（登记管理机关行政区划码），实际为%(code)s") % {"code": area_code}
        errors.append(IdentifierError("bad_area_code", message))

    expected = uscc_check_char(normalized[:17])
    if normalized[17] != expected:
        message = _("统一社会信用代码校验位错误：最后一位应为%(expected)s，实际为%(actual)s") % {
            "expected": expected,
            "actual": normalized[17],
        }
        errors.append(IdentifierError("bad_check_digit", message))

    if errors or authority is None:
        return ValidationResult(False, normalized, tuple(errors))
    details: dict[str, object] = {
        "authority_code": authority_code,
        "authority": authority[0],
        "category_code": category_code,
        "category": authority[1][category_code],
        "area_code": area_code,
        "is_collective": authority_code == "N",
    }
    return ValidationResult(True, normalized, (), details)


# --------------------------------------------------------------------------------------------
# Mobile numbers (mainland China)
# --------------------------------------------------------------------------------------------

_MOBILE_TYPES: Final = frozenset(
    {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)


def _normalize_mobile(value: object) -> str | None:
    normalized = _normalize(value)
    if normalized is None:
        return None
    normalized = _DASHES.sub("", normalized)
    for prefix in ("+86", "0086"):
        if normalized.startswith(prefix):
            return normalized[len(prefix) :]
    return normalized


def validate_mobile(value: str) -> ValidationResult:
    """Validate a mainland mobile number.

    Spaces, dashes and a leading ``+86``/``0086`` are removed. The result must be 11 digits in a
    range that libphonenumber's CN metadata lists as mobile. Details: ``carrier_prefix`` (the
    first 3 digits).
    """
    normalized = _normalize_mobile(value)
    if normalized is None:
        return _too_long(_("手机号码"), _("11位数字"))
    if not normalized:
        return ValidationResult(False, "", (IdentifierError("bad_length", _("手机号码不能为空，应为11位数字")),))
    if normalized.startswith("+"):
        message = _("仅支持中国大陆（+86）手机号码")
        return ValidationResult(False, normalized, (IdentifierError("bad_prefix", message),))

    errors: list[IdentifierError] = []
    if len(normalized) != 11:
        message = _("手机号码应为11位数字，实际为%(length)d位") % {"length": len(normalized)}
        errors.append(IdentifierError("bad_length", message))
    if not _is_digits(normalized):
        errors.append(IdentifierError("bad_characters", _("手机号码只能包含数字")))
    if errors:
        return ValidationResult(False, normalized, tuple(errors))

    try:
        number = phonenumbers.parse(normalized, "CN")
        is_mobile = phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in _MOBILE_TYPES
    except phonenumbers.NumberParseException:
        is_mobile = False
    if not is_mobile:
        message = _("%(prefix)s不是有效的中国大陆手机号段，请输入以1开头的11位手机号码") % {"prefix": normalized[:3]}
        return ValidationResult(False, normalized, (IdentifierError("bad_prefix", message),))
    return ValidationResult(True, normalized, (), {"carrier_prefix": normalized[:3]})


# --------------------------------------------------------------------------------------------
# Statistical division codes (统计用区划代码)
# --------------------------------------------------------------------------------------------

_DIVISION_SEGMENTS: Final = ((0, 2), (2, 4), (4, 6), (6, 9), (9, 12))
_DIVISION_LEVELS: Final = ("province", "city", "county", "township", "village")
_DIVISION_LENGTHS: Final = frozenset({2, 4, 6, 9, 12})
_DIVISION_LEVEL_NAMES: Final = {
    "province": "省",
    "city": "市",
    "county": "县",
    "township": "乡",
    "village": "村",
}


def _division_depth(code12: str) -> int:
    """Index of the last non-zero segment of a 12-digit code (``-1`` when all zero)."""
    depth = -1
    for index, (start, end) in enumerate(_DIVISION_SEGMENTS):
        if code12[start:end].strip("0"):
            depth = index
    return depth


def _division_code12(code: str) -> str:
    normalized = _normalize(code)
    if normalized is None or len(normalized) not in _DIVISION_LENGTHS or not _is_digits(normalized):
        raise ValueError("a division code has 2, 4, 6, 9 or 12 digits")
    code12 = normalized.ljust(12, "0")
    if _division_depth(code12) < 0:
        raise ValueError("a division code cannot be all zeros")
    return code12


def division_level(code: str) -> str:
    """``province``/``city``/``county``/``township``/``village``, from the trailing zero segments.

    Accepts 2, 4, 6, 9 or 12 digits; raises ``ValueError`` otherwise (or when all zero). It does
    not check that the code exists. :func:`validate_division_code` does the range checks.
    """
    return _DIVISION_LEVELS[_division_depth(_division_code12(code))]


def division_prefix(code: str) -> str:
    """The significant prefix (2, 4, 6, 9 or 12 digits): ``341181103000`` → ``341181103``."""
    code12 = _division_code12(code)
    return code12[: _DIVISION_SEGMENTS[_division_depth(code12)][1]]


def _township_kind(segment: int) -> str | None:
    if 1 <= segment <= 99:
        return "subdistrict"
    if 100 <= segment <= 199:
        return "town"
    if 200 <= segment <= 399:
        return "township"
    if 400 <= segment <= 599:
        return "state_farm"
    return None


def _village_kind(segment: int) -> str | None:
    if 1 <= segment <= 199:
        return "community"
    if 200 <= segment <= 399:
        return "village"
    return None


def validate_division_code(value: str) -> ValidationResult:
    """Validate a statistical division code given with 2, 4, 6, 9 or 12 digits.

    ``normalized`` is the 12-digit form (right-padded with zeros). The province must exist, no
    non-zero segment may follow an all-zero one, the township segment must be 001-599 and the
    village segment 001-399. Details: ``level``, ``prefix``, ``province``, plus ``township_kind``
    (township level and below) and ``village_kind`` (village level).
    """
    normalized = _normalize(value)
    if normalized is None:
        return _too_long(_("区划代码"), _("2、4、6、9或12位数字"))
    if not normalized:
        message = _("区划代码不能为空，应为2、4、6、9或12位数字")
        return ValidationResult(False, "", (IdentifierError("bad_length", message),))

    errors: list[IdentifierError] = []
    if len(normalized) not in _DIVISION_LENGTHS:
        message = _("区划代码应为2、4、6、9或12位数字，实际为%(length)d位") % {"length": len(normalized)}
        errors.append(IdentifierError("bad_length", message))
    if not _is_digits(normalized):
        errors.append(IdentifierError("bad_characters", _("区划代码只能包含数字")))
    if errors:
        return ValidationResult(False, normalized, tuple(errors))

    code12 = normalized.ljust(12, "0")
    province_code = code12[:2]
    if province_code not in PROVINCES:
        message = _("区划代码前两位%(code)s不是有效的省级行政区划代码") % {"code": province_code}
        errors.append(IdentifierError("unknown_area_code", message))

    segments = [code12[start:end] for start, end in _DIVISION_SEGMENTS]
    depth = _division_depth(code12)
    # A zero segment above the last non-zero one is a gap (a zero province is reported above).
    gap = next((index for index in range(1, max(depth, 0)) if not segments[index].strip("0")), None)
    if gap is not None:
        message = _("区划代码的%(level)s级代码不为零，但上级的%(parent)s级代码为零") % {
            "level": _DIVISION_LEVEL_NAMES[_DIVISION_LEVELS[depth]],
            "parent": _DIVISION_LEVEL_NAMES[_DIVISION_LEVELS[gap]],
        }
        errors.append(IdentifierError("bad_segment", message))

    township, village = int(segments[3]), int(segments[4])
    if township and _township_kind(township) is None:
        message = _("区划代码第7-9位（乡级）%(segment)s超出范围，应为001-599") % {"segment": segments[3]}
        errors.append(IdentifierError("bad_segment", message))
    if village and _village_kind(village) is None:
        message = _("区划代码第10-12位（村级）%(segment)s超出范围，应为001-399") % {"segment": segments[4]}
        errors.append(IdentifierError("bad_segment", message))

    if errors:
        return ValidationResult(False, code12, tuple(errors))
    level = _DIVISION_LEVELS[depth]
    details: dict[str, object] = {
        "level": level,
        "prefix": code12[: _DIVISION_SEGMENTS[depth][1]],
        "province": PROVINCES[province_code],
    }
    if depth >= 3:
        details["township_kind"] = _township_kind(township)
    if depth == 4:
        details["village_kind"] = _village_kind(village)
    return ValidationResult(True, code12, (), details)


# --------------------------------------------------------------------------------------------
# Dispatch
# --------------------------------------------------------------------------------------------


def validate(kind: str, value: str) -> ValidationResult:
    """Validate ``value`` as one of :data:`KINDS`; an unknown ``kind`` raises ``ValueError``."""
    if kind == "resident_id":
        return validate_resident_id(value)
    if kind == "uscc":
        return validate_uscc(value)
    if kind == "mobile":
        return validate_mobile(value)
    if kind == "division_code":
        return validate_division_code(value)
    raise ValueError(f"unknown identifier kind {kind!r}; expected one of {', '.join(KINDS)}")


# --------------------------------------------------------------------------------------------
# Masking for display (never raises)
# --------------------------------------------------------------------------------------------

_MASK_CAP: Final = 18


def mask_resident_id(value: str) -> str:
    """``341181198506151236`` → ``341181********1236``.

    Input that is not 18 characters long after normalisation is masked completely (at most 18
    stars), so a mistyped number never leaks.
    """
    normalized = _normalize(value)
    if normalized is None:
        return "*" * _MASK_CAP
    if len(normalized) != 18:
        return "*" * min(len(normalized), _MASK_CAP)
    return f"{normalized[:6]}{'*' * 8}{normalized[14:]}"


def mask_mobile(value: str) -> str:
    """``13800138000`` (or ``+86 138-0013-8000``) → ``138****8000``; anything else is fully masked."""
    normalized = _normalize_mobile(value)
    if normalized is None:
        return "*" * 11
    if len(normalized) != 11 or not _is_digits(normalized):
        return "*" * min(len(normalized), 11)
    return f"{normalized[:3]}****{normalized[7:]}"


def mask_name(value: str) -> str:
    """``张三明`` → ``张*明``, ``张三`` → ``张*``, ``欧阳明月`` → ``欧**月``; one character → ``*``."""
    if not isinstance(value, str):
        return ""
    name = value.strip()[:MAX_INPUT_LENGTH]
    if len(name) <= 1:
        return "*" * len(name)
    if len(name) == 2:
        return f"{name[0]}*"
    return f"{name[0]}{'*' * (len(name) - 2)}{name[-1]}"
