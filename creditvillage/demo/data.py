"""The demo's fixed facts: places, work teams (seed 000, annex 2), organisations and logins (contract.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from creditvillage.registry.synthetic import CollectionMix

DEMO_PASSWORD: Final = "cv-demo-2026"  # noqa: S105 - public by design: contract.md names it
DEMO_SEED: Final = 2026
HOUSEHOLDS_PER_VILLAGE: Final = 100

JINAN: Final = "341502000000"  # 金安区
HENGTANGGANG: Final = "341502204000"  # 横塘岗乡
ZHOUAN: Final = "341502204201"  # 周庵村
TIANCHANG: Final = "341181000000"  # 天长市
TONGCHENG: Final = "341181100000"  # 铜城镇

# Townships whose villages get households (大通镇's real village codes are loaded, without households).
ARCHIVED_TOWNSHIPS: Final = (HENGTANGGANG, TONGCHENG)

# 派驻工作组 (seed 000, annex 2): village → (leader, member).
WORK_TEAMS: Final = {
    "凤凰台村": ("张洁", "陈晓兵"),
    "周庵村": ("季星原", "姜磊"),
    "黄墩村": ("何开玲", "朱增军"),
    "古城寺村": ("张力", "陈再冬"),
    "金公庙村": ("张力", "李勇"),
    "九里冲村": ("倪家久", "汪思全"),
    "龙王岩村": ("苏承阳", "刁中国"),
    "岩湾村": ("杨杰", "马同余"),
    "缸窑村": ("申志永", "徐明河"),
    "百子庵村": ("杨孝山", "叶方伟"),
    "杨岩村": ("董垚", "程盼盼"),
    "石河口村": ("魏雪", "金宇"),
}
# Seed 000: key villages in 2022, about 70% of villages by 2023, all in 2024. Which four join in
# 2023 is not published: the choice below is illustrative. Tianchang covered every village in 2021 (seed 001).
BUILD_YEARS: Final = {
    **dict.fromkeys(("周庵村", "黄墩村", "缸窑村", "金公庙村"), 2022),
    **dict.fromkeys(("凤凰台村", "古城寺村", "九里冲村", "龙王岩村"), 2023),
    **dict.fromkeys(("岩湾村", "百子庵村", "杨岩村", "石河口村"), 2024),
}
KEY_VILLAGES: Final = frozenset(name for name, year in BUILD_YEARS.items() if year == 2022)
TIANCHANG_BUILD_YEAR: Final = 2021

# How far this year's collection has got, by when the village joined the programme.
MIXES: Final = {
    "zhouan": CollectionMix(
        statuses=(("verified", 0.55), ("archived", 0.35), ("collecting", 0.10)),
        channels=(("door_to_door", 0.85), ("excel_import", 0.15)),
    ),
    2021: CollectionMix(statuses=(("verified", 0.5), ("archived", 0.45), ("collecting", 0.05))),
    2022: CollectionMix(statuses=(("verified", 0.5), ("archived", 0.42), ("collecting", 0.08))),
    2023: CollectionMix(statuses=(("verified", 0.25), ("archived", 0.6), ("collecting", 0.15))),
    2024: CollectionMix(
        statuses=(("verified", 0.1), ("archived", 0.5), ("collecting", 0.4)),
        channels=(("door_to_door", 0.6), ("excel_import", 0.4)),
    ),
}

TOWNSHIP_SECRETARIES: Final = {HENGTANGGANG: "张洁", TONGCHENG: "沈立国"}  # 张洁: seed 000, annex 1

BANKS: Final = (
    # code, name, short name, regions served
    ("JARCB", "金安农村商业银行", "金安农商行", (HENGTANGGANG,)),
    ("TCRCB", "安徽天长农村商业银行", "天长农商行", (TONGCHENG,)),
)
MERCHANT: Final = {
    "region_id": HENGTANGGANG,
    "name": "横塘岗乡便民连锁超市",
    "category": "零售",
    "address": "横塘岗乡集镇街道18号",
    "contact_name": "周大勇",
}
MERCHANT_USCC_SUBJECT: Final = "MA2TGG018"  # 92 (individual business) + 341502 + this + check


@dataclass(frozen=True)
class DemoLogin:
    """One demo login of contract.md: what it is called, who it is, the role and where."""

    username: str
    display_name: str  # empty: filled from the data (the village secretary, the household head)
    role: str
    scope: str  # 12-digit region code
    role_en: str


LOGINS: Final = (
    DemoLogin("county_admin", "李红梅", "admin", JINAN, "Programme administrator"),
    DemoLogin("township_operator", "季星原", "township_operator", HENGTANGGANG, "Township operator"),
    DemoLogin("village_operator", "", "village_operator", ZHOUAN, "Village operator"),
    DemoLogin("collector", "姜磊", "collector", ZHOUAN, "Collector"),
    DemoLogin("evaluator", "周桂兰", "evaluator", ZHOUAN, "Civility evaluator"),
    DemoLogin("auditor", "吴振华", "auditor", JINAN, "Supervisor (audit)"),
    DemoLogin("regulator", "陶文静", "regulator", JINAN, "Financial regulator"),
    DemoLogin("bank_officer", "汪海燕", "bank_officer", HENGTANGGANG, "Bank officer (金安农商行)"),
    DemoLogin("merchant", "周大勇", "merchant", HENGTANGGANG, "Merchant (横塘岗乡便民连锁超市)"),
    DemoLogin("household", "", "household", ZHOUAN, "Household head"),
    DemoLogin("other_township_operator", "赵文斌", "township_operator", TONGCHENG, "Township operator"),
)
