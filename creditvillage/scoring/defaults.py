"""The shipped grade schemes and default models (domain-reference.md §1.3–1.6), as plain data.

Loaded by the data migration ``0002_default_models`` (with the historical models) so a fresh
database has them active from 2026-01-01. Change them in the UI (a new version), never here:
this file is the seed, not the configuration.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

EFFECTIVE_FROM = dt.date(2026, 1, 1)
SEED_REASON = "系统内置默认模型（domain-reference §1.3–1.6）"

# (code, name, veto grade, [(grade, min score or None, credit subject)], description)
SCHEMES: list[tuple[str, str, str, list[tuple[str, int | None, bool]], str]] = [
    (
        "tianchang",
        "天长六档（AAA/AA/A/B/C/D）",
        "D",
        [("AAA", 90, True), ("AA", 80, True), ("A", 70, True), ("B", 60, False), ("C", None, False)],
        "A级（含）以上为信用主体；一票否决为D级",
    ),
    (
        "bachu",
        "巴楚百分制",
        "不予评级",
        [("AAA", 80, True), ("AA", 70, True), ("A", 60, True), ("非信用户", None, False)],
        "≥80 AAA，70–79 AA，60–69 A，<60 非信用户",
    ),
    (
        "shuangluan",
        "双滦1A–5A（积分）",
        "不予评级",
        [
            ("5A", 95, True),
            ("4A", 85, True),
            ("3A", 75, True),
            ("2A", 65, True),
            ("1A", 60, True),
            ("未评级", None, False),
        ],
        "积分≥95 5A，85–94 4A，75–84 3A，65–74 2A，60–64 1A（示意配置）",
    ),
    (
        "tongcheng",
        "桐城3A/2A/A/A级以下",
        "不予评级",
        [("3A", 90, True), ("2A", 80, True), ("A", 70, True), ("A级以下", None, False)],
        "分数线沿用天长方案（示意配置）",
    ),
    (
        "village",
        "信用村AAA/AA/A",
        "不予评定",
        [("AAA", 3, True), ("AA", 2, True), ("A", 1, True), ("不达标", None, False)],
        "按VIL-DEFAULT条件：各项条件均达到的最高档",
    ),
]


def _bins(*pairs: tuple[float | None, float]) -> list[dict[str, Any]]:
    return [{"upper": upper, "points": points} for upper, points in pairs]


def _flag(points: float) -> list[dict[str, Any]]:
    """A 0/1 value: 0 → 0 points, 1 → ``points``."""
    return _bins((1, 0), (None, points))


# Indicator tuples: (code, name, source_field, kind, spec, extra) where spec is bins or categories.
def _ind(
    code: str,
    name: str,
    source: str,
    kind: str,
    spec: Any,
    *,
    closed: str = "left",
    unit: str = "",
    missing: float = 0,
    cap: float | None = None,
    scale: float = 1,
) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "source_field": source,
        "kind": kind,
        "bins": spec if kind == "bins" else [],
        "categories": spec if kind == "categories" else {},
        "closed": closed,
        "unit": unit,
        "missing_points": missing,
        "cap": cap,
        "scale": scale,
    }


HOUSEHOLD: dict[str, Any] = {
    "code": "HH-DEFAULT",
    "subject_type": "household",
    "name": "农户信用评价默认模型（100分+一票否决）",
    "scheme": "tianchang",
    "combine": "sum",
    "blocks": [
        (
            "basics",
            "家庭基本情况",
            15,
            [
                _ind(
                    "head_age",
                    "户主年龄",
                    "head_age",
                    "bins",
                    _bins((18, 0), (25, 3), (56, 5), (66, 3), (None, 1)),
                    unit="岁",
                ),
                _ind(
                    "head_education",
                    "户主文化程度",
                    "head_education",
                    "categories",
                    {"bachelor": 3, "college": 3, "senior": 2, "junior": 1, "primary": 0, "none": 0},
                ),
                _ind("workers", "家庭劳动力", "workers", "bins", _bins((1, 0), (2, 2), (3, 3), (None, 4)), unit="人"),
                _ind(
                    "residence_years",
                    "本地居住年限",
                    "residence_years",
                    "bins",
                    _bins((5, 1), (None, 3)),
                    unit="年",
                    missing=3,
                ),
            ],
        ),
        (
            "economy",
            "经济状况与资产",
            25,
            [
                _ind(
                    "net_income",
                    "家庭年纯收入",
                    "net_income_wan",
                    "bins",
                    _bins((3, 2), (5, 4), (10, 6), (20, 8), (None, 10)),
                    unit="万元",
                    missing=2,
                ),
                _ind(
                    "net_assets",
                    "家庭净资产",
                    "net_assets_wan",
                    "bins",
                    _bins((20, 2), (50, 4), (100, 6), (None, 8)),
                    unit="万元",
                    missing=2,
                ),
                _ind(
                    "debt_ratio",
                    "资产负债率",
                    "debt_ratio_pct",
                    "bins",
                    _bins((30, 7), (50, 5), (70, 2), (None, 0)),
                    closed="right",
                    unit="%",
                    missing=7,
                ),
            ],
        ),
        (
            "production",
            "生产经营",
            10,
            [
                _ind(
                    "income_stability",
                    "收入来源稳定性",
                    "income_stability",
                    "categories",
                    {"stable": 5, "short": 3, "none": 1},
                    missing=1,
                ),
                _ind("land", "经营规模", "land_mu", "bins", _bins((10, 1), (50, 2), (None, 3)), unit="亩", missing=1),
                _ind("insured", "参保", "insured", "bins", _flag(2)),
            ],
        ),
        (
            "credit",
            "信用记录",
            20,
            [
                _ind(
                    "loan_record",
                    "近3年借贷履约",
                    "loan_record",
                    "categories",
                    {"good": 12, "none": 8, "minor": 4, "bad": 0},
                    missing=8,
                ),
                _ind(
                    "fee_record",
                    "公共缴费",
                    "fee_record",
                    "categories",
                    {"on_time": 5, "occasional": 2, "persistent": 0},
                    missing=5,
                ),
                _ind("bank_account", "金融关系", "bank_account", "bins", _flag(3)),
            ],
        ),
        (
            "civility",
            "乡风文明评议",
            30,
            [_ind("civility", "乡风文明评议得分", "civility_score", "linear", None, cap=30, missing=24, unit="分")],
        ),
    ],
    "vetoes": [
        (
            "negative_list",
            "列入失信被执行人等负面清单",
            "veto_negative_list",
            "负面清单（法院失信被执行人名单等）在有效期内",
        ),
        ("npl", "当前不良贷款", "veto_npl", "银行贷款逾期超过90天"),
        ("civility", "乡风文明评议一票否决", "veto_civility", "评议小组确认的一票否决项（两名评议员及书面依据）"),
    ],
}

ENTITY: dict[str, Any] = {
    "code": "ENT-DEFAULT",
    "subject_type": "entity",
    "name": "新型农业经营主体默认模型",
    "scheme": "tianchang",
    "combine": "sum",
    "blocks": [
        (
            "qualification",
            "主体资质",
            20,
            [
                _ind(
                    "years_operating",
                    "经营年限",
                    "years_operating",
                    "bins",
                    _bins((1, 2), (3, 5), (None, 8)),
                    unit="年",
                    missing=2,
                ),
                _ind(
                    "demonstration",
                    "示范等级",
                    "demonstration",
                    "categories",
                    {"national": 6, "provincial": 6, "city": 4, "county": 4, "none": 0},
                ),
                _ind("principal_grade", "负责人信用等级", "principal_grade", "categories", {"AAA": 6, "AA": 4, "A": 2}),
            ],
        ),
        (
            "operations",
            "经营能力",
            30,
            [
                _ind(
                    "revenue",
                    "年营业收入",
                    "revenue_wan",
                    "bins",
                    _bins((50, 3), (100, 6), (500, 9), (None, 12)),
                    unit="万元",
                    missing=3,
                ),
                _ind(
                    "land",
                    "流转经营土地",
                    "land_mu",
                    "bins",
                    _bins((50, 4), (200, 7), (None, 10)),
                    unit="亩",
                    missing=4,
                ),
                _ind(
                    "farmers_driven",
                    "带动农户",
                    "farmers_driven",
                    "bins",
                    _bins((10, 2), (50, 5), (None, 8)),
                    unit="户",
                    missing=2,
                ),
            ],
        ),
        (
            "finance",
            "财务状况",
            25,
            [
                _ind(
                    "debt_ratio",
                    "资产负债率",
                    "debt_ratio_pct",
                    "bins",
                    _bins((40, 10), (60, 7), (80, 3), (None, 0)),
                    closed="right",
                    unit="%",
                ),
                _ind("profit_years", "近2年盈利", "profit_years", "bins", _bins((1, 0), (2, 6), (None, 10)), unit="年"),
                _ind("proper_accounts", "财务制度规范", "proper_accounts", "bins", _flag(5)),
            ],
        ),
        (
            "credit",
            "信用记录",
            15,
            [
                _ind("loans_performed", "贷款履约", "loans_performed", "bins", _flag(10), missing=10),
                _ind("taxes_paid", "纳税与社保缴纳", "taxes_paid", "bins", _flag(5), missing=5),
            ],
        ),
        (
            "compliance",
            "合规与评价",
            10,
            [
                _ind("no_penalty", "两年内无环保安全质量处罚", "no_penalty", "bins", _flag(6), missing=6),
                _ind("village_evaluation", "村级评价", "village_evaluation", "bins", _flag(4), missing=4),
            ],
        ),
    ],
    "vetoes": [
        (
            "negative_list",
            "主体或负责人列入负面清单",
            "veto_negative_list",
            "失信被执行人、严重失信主体名单等在有效期内",
        ),
        ("npl", "当前不良贷款", "veto_npl", "银行贷款逾期超过90天"),
    ],
}

COLLECTIVE: dict[str, Any] = {
    "code": "COL-DEFAULT",
    "subject_type": "collective",
    "name": "村集体经济组织默认模型",
    "scheme": "tianchang",
    "combine": "sum",
    "blocks": [
        (
            "organisation",
            "组织规范",
            20,
            [
                _ind("n2_registered", "登记赋码（N2）", "n2_registered", "bins", _flag(5)),
                _ind("inventory_done", "清产核资与成员确认", "inventory_done", "bins", _flag(5)),
                _ind("charter_rules", "章程与三资管理制度", "charter_rules", "bins", _flag(5)),
                _ind("finances_published", "按期财务公开", "finances_published", "bins", _flag(5)),
            ],
        ),
        (
            "strength",
            "集体经济实力",
            35,
            [
                _ind(
                    "operating_income",
                    "经营性收入",
                    "operating_income_wan",
                    "bins",
                    _bins((5, 0), (10, 4), (20, 8), (50, 12), (100, 16), (None, 20)),
                    unit="万元",
                ),
                _ind(
                    "net_assets",
                    "集体净资产",
                    "net_assets_wan",
                    "bins",
                    _bins((100, 4), (500, 8), (1000, 12), (None, 15)),
                    unit="万元",
                    missing=4,
                ),
            ],
        ),
        (
            "solvency",
            "偿债能力",
            20,
            [
                _ind(
                    "debt_ratio",
                    "资产负债率",
                    "debt_ratio_pct",
                    "bins",
                    _bins((30, 10), (50, 7), (70, 3), (None, 0)),
                    closed="right",
                    unit="%",
                ),
                _ind("no_new_debt", "无新增村级债务", "no_new_debt", "bins", _flag(10)),
            ],
        ),
        (
            "credit",
            "信用记录",
            15,
            [
                _ind("loans_performed", "贷款与合同履约", "loans_performed", "bins", _flag(10), missing=10),
                _ind("no_arrears", "无拖欠纠纷", "no_arrears", "bins", _flag(5), missing=5),
            ],
        ),
        (
            "governance",
            "治理",
            10,
            [
                _ind("four_two_applied", "重大事项执行四议两公开", "four_two_applied", "bins", _flag(5)),
                _ind("no_audit_findings", "无审计问题和违纪案件", "no_audit_findings", "bins", _flag(5), missing=5),
            ],
        ),
    ],
    "vetoes": [
        ("negative_list", "列入负面清单", "veto_negative_list", "严重失信主体名单等在有效期内"),
        ("npl", "当前不良贷款", "veto_npl", "银行贷款逾期超过90天"),
    ],
}

VILLAGE: dict[str, Any] = {
    "code": "VIL-DEFAULT",
    "subject_type": "village",
    "name": "信用村评定默认条件",
    "scheme": "village",
    "combine": "min",
    "blocks": [
        (
            "criteria",
            "评定条件（取各项最低档）",
            3,
            [
                _ind("coverage", "建档覆盖率", "coverage_pct", "bins", _bins((90, 0), (None, 3)), unit="%"),
                _ind(
                    "civility_done",
                    "乡风文明评议完成率",
                    "civility_done_pct",
                    "bins",
                    _bins((100, 0), (None, 3)),
                    unit="%",
                    missing=3,
                ),
                _ind(
                    "credit_share",
                    "A级以上农户占比",
                    "credit_share_pct",
                    "bins",
                    _bins((60, 0), (70, 1), (80, 2), (None, 3)),
                    unit="%",
                ),
                _ind(
                    "npl_ratio",
                    "农户贷款不良率",
                    "npl_ratio_pct",
                    "bins",
                    _bins((1, 3), (2, 2), (3, 1), (None, 0)),
                    closed="right",
                    unit="%",
                    missing=3,
                ),
                _ind(
                    "collective_grade",
                    "村集体经济组织等级",
                    "collective_grade",
                    "categories",
                    {"AAA": 3, "AA": 3, "A": 2, "B": 1, "C": 1, "D": 1},
                    missing=1,
                ),
            ],
        ),
    ],
    "vetoes": [("discipline", "村“两委”年内严重违纪案件", "veto_discipline", "纪检监察机关通报")],
}

MODELS = [HOUSEHOLD, ENTITY, COLLECTIVE, VILLAGE]


def _dec(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def load(get_model: Any) -> None:
    """Create the schemes and the default models (active v1). ``get_model(name)`` returns a model class."""
    GradeScheme = get_model("GradeScheme")
    Grade = get_model("Grade")
    ScoringModel = get_model("ScoringModel")
    ModelVersion = get_model("ModelVersion")
    Block = get_model("Block")
    Indicator = get_model("Indicator")
    VetoRule = get_model("VetoRule")
    schemes = {}
    for code, name, veto, grades, description in SCHEMES:
        scheme = GradeScheme.objects.create(code=code, name=name, veto_grade=veto, description=description)
        for order, (grade, min_score, credit) in enumerate(grades):
            Grade.objects.create(
                scheme=scheme, order=order, code=grade, min_score=_dec(min_score), credit_subject=credit
            )
        schemes[code] = scheme
    for spec in MODELS:
        model = ScoringModel.objects.create(
            code=spec["code"], subject_type=spec["subject_type"], name=spec["name"], is_default=True
        )
        version = ModelVersion.objects.create(
            model=model,
            number=1,
            status="active",
            combine=spec["combine"],
            grade_scheme=schemes[spec["scheme"]],
            effective_from=EFFECTIVE_FROM,
            change_reason=SEED_REASON,
        )
        order = 0
        for b_order, (code, name, cap, indicators) in enumerate(spec["blocks"]):
            block = Block.objects.create(version=version, order=b_order, code=code, name=name, cap=_dec(cap))
            for ind in indicators:
                Indicator.objects.create(
                    version=version,
                    block=block,
                    order=order,
                    code=ind["code"],
                    name=ind["name"],
                    source_field=ind["source_field"],
                    kind=ind["kind"],
                    closed=ind["closed"],
                    unit=ind["unit"],
                    bins=ind["bins"],
                    categories=ind["categories"],
                    scale=_dec(ind["scale"]),
                    cap=_dec(ind["cap"]),
                    missing_points=_dec(ind["missing_points"]),
                )
                order += 1
        for v_order, (code, name, source, basis) in enumerate(spec["vetoes"]):
            VetoRule.objects.create(
                version=version, order=v_order, code=code, name=name, source_field=source, basis=basis
            )


def spec(model: dict[str, Any], version: int = 1) -> dict[str, Any]:
    """The engine spec (``engine.compile_spec``) of a shipped model, without a database."""
    scheme = next(s for s in SCHEMES if s[0] == model["scheme"])
    return {
        "model": model["code"],
        "version": version,
        "subject_type": model["subject_type"],
        "combine": model["combine"],
        "blocks": [
            {"code": code, "name": name, "cap": cap, "floor": 0, "indicators": indicators}
            for code, name, cap, indicators in model["blocks"]
        ],
        "vetoes": [{"code": c, "name": n, "source_field": f, "basis": b} for c, n, f, b in model["vetoes"]],
        "scheme": {
            "code": scheme[0],
            "veto_grade": scheme[2],
            "grades": [{"code": g, "min_score": m, "credit_subject": c} for g, m, c in scheme[3]],
        },
    }


def scheme_spec(code: str) -> dict[str, Any]:
    scheme = next(s for s in SCHEMES if s[0] == code)
    return {
        "code": scheme[0],
        "veto_grade": scheme[2],
        "grades": [{"code": g, "min_score": m, "credit_subject": c} for g, m, c in scheme[3]],
    }
