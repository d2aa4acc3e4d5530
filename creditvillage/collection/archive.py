"""A household's archive as plain data (the ``data``/``base`` of a submission), its validation,
its flat field-by-field form (for diffs and verification) and a three-way merge.

Shape (every key optional in a draft)::

    {"household": {"address": ..., "phone": ..., "main_business": ..., "is_low_income": bool,
                   "is_monitored": bool, "social_notes": ...},
     "members":   [{"name", "id_number", "relation", "political_status", "education",
                    "occupation", "phone", "health"}, ...],
     "assets":    [{"kind", "description", "quantity", "unit", "value_fen"}, ...],
     "incomes":   [{"year", "source", "amount_fen"}, ...],
     "debts":     [{"kind", "lender", "amount_fen", "overdue_days"}, ...],
     "insurances":[{"kind", "insurer", "insured_amount_fen"}, ...]}

Money is integer fen. Members are matched across versions by resident ID number.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from creditvillage.core.identifiers import validate_mobile, validate_resident_id
from creditvillage.registry.choices import (
    AssetKind,
    DebtKind,
    Education,
    Health,
    IncomeSource,
    InsuranceKind,
    PoliticalStatus,
    Relation,
)
from creditvillage.registry.models import Household

HOUSEHOLD_FIELDS = ("address", "phone", "main_business", "is_low_income", "is_monitored", "social_notes")
MEMBER_FIELDS = ("name", "id_number", "relation", "political_status", "education", "occupation", "phone", "health")
SECTIONS: dict[str, tuple[str, ...]] = {
    "assets": ("kind", "description", "quantity", "unit", "value_fen"),
    "incomes": ("year", "source", "amount_fen"),
    "debts": ("kind", "lender", "amount_fen", "overdue_days"),
    "insurances": ("kind", "insurer", "insured_amount_fen"),
}
MAX_MEMBERS = 30
MAX_ROWS = 50
MAX_FEN = 10**13  # 1000 亿元: anything larger is a typing error

LABELS: dict[str, Any] = {
    "address": gettext_lazy("住址"),
    "phone": gettext_lazy("联系电话"),
    "main_business": gettext_lazy("主要产业"),
    "is_low_income": gettext_lazy("低保户"),
    "is_monitored": gettext_lazy("防返贫监测户"),
    "social_notes": gettext_lazy("社会信息"),
    "name": gettext_lazy("姓名"),
    "id_number": gettext_lazy("身份证号码"),
    "relation": gettext_lazy("与户主关系"),
    "political_status": gettext_lazy("政治面貌"),
    "education": gettext_lazy("文化程度"),
    "occupation": gettext_lazy("职业"),
    "health": gettext_lazy("健康状况"),
    "assets": gettext_lazy("资产"),
    "incomes": gettext_lazy("收入"),
    "debts": gettext_lazy("负债"),
    "insurances": gettext_lazy("保险"),
    "member": gettext_lazy("家庭成员"),
}

CHOICES: dict[str, Any] = {
    "relation": Relation,
    "political_status": PoliticalStatus,
    "education": Education,
    "health": Health,
}
SECTION_CHOICES: dict[tuple[str, str], Any] = {
    ("assets", "kind"): AssetKind,
    ("incomes", "source"): IncomeSource,
    ("debts", "kind"): DebtKind,
    ("insurances", "kind"): InsuranceKind,
}


def archive_data(household: Household) -> dict[str, Any]:
    """The household's current archive in the submission shape (reads related rows; no scoping here)."""
    return {
        "household": {name: getattr(household, name) for name in HOUSEHOLD_FIELDS},
        "members": [{name: getattr(p, name) for name in MEMBER_FIELDS} for p in household.members.all().order_by("pk")],
        "assets": [
            {
                "kind": a.kind,
                "description": a.description,
                "quantity": str(a.quantity.normalize()) if a.quantity else "0",
                "unit": a.unit,
                "value_fen": a.value_fen,
            }
            for a in household.assets.all().order_by("pk")
        ],
        "incomes": [
            {"year": i.year, "source": i.source, "amount_fen": i.amount_fen}
            for i in household.incomes.all().order_by("pk")
        ],
        "debts": [
            {"kind": d.kind, "lender": d.lender, "amount_fen": d.amount_fen, "overdue_days": d.overdue_days}
            for d in household.debts.all().order_by("pk")
        ],
        "insurances": [
            {"kind": s.kind, "insurer": s.insurer, "insured_amount_fen": s.insured_amount_fen}
            for s in household.insurances.all().order_by("pk")
        ],
    }


# --- normalising and validating --------------------------------------------------------------


def _text(value: Any, limit: int) -> str:
    return str(value if value is not None else "").strip()[:limit]


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "on", "yes", "是")
    return bool(value)


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def normalize(data: Any) -> dict[str, Any]:
    """Coerce a posted archive to the canonical shape; unknown keys are dropped, bad values kept as text."""
    data = data if isinstance(data, dict) else {}
    raw_household = data.get("household") if isinstance(data.get("household"), dict) else {}
    household: dict[str, Any] = {}
    for name in HOUSEHOLD_FIELDS:
        value = raw_household.get(name)
        if name in ("is_low_income", "is_monitored"):
            household[name] = _bool(value)
        else:
            household[name] = _text(value, 2000 if name == "social_notes" else 200)
    members = []
    for raw in (data.get("members") or [])[: MAX_MEMBERS + 1]:
        if not isinstance(raw, dict):
            continue
        member = {name: _text(raw.get(name), 64) for name in MEMBER_FIELDS}
        member["id_number"] = member["id_number"].upper()
        if not member["political_status"]:
            member["political_status"] = PoliticalStatus.MASSES
        if not member["health"]:
            member["health"] = Health.HEALTHY
        if any(member[n] for n in ("name", "id_number")):
            members.append(member)
    out: dict[str, Any] = {"household": household, "members": members}
    for section, fields in SECTIONS.items():
        rows = []
        for raw in (data.get(section) or [])[: MAX_ROWS + 1]:
            if not isinstance(raw, dict):
                continue
            row: dict[str, Any] = {}
            for name in fields:
                value = raw.get(name)
                if name.endswith("_fen") or name in ("year", "overdue_days"):
                    number = _int(value)
                    text = _text(value, 20)
                    if number is not None:
                        row[name] = number
                    else:
                        row[name] = 0 if not text and name != "year" else text
                else:
                    row[name] = _text(value, 100)
            if any(v not in ("", 0, None) for v in row.values()):
                rows.append(row)
        out[section] = rows
    return out


def validate_field(name: str, value: Any) -> str:
    """The error message for one field's value ('' when valid): used as the collector types (htmx)."""
    value = _text(value, 200)
    if name == "id_number":
        if not value:
            return _("请填写身份证号码")
        result = validate_resident_id(value)
        return "" if result.valid else str(result.errors[0].message)
    if name == "phone":
        if not value:
            return ""
        result = validate_mobile(value)
        return "" if result.valid else str(result.errors[0].message)
    if name == "name":
        return "" if value else _("请填写姓名")
    if name in CHOICES and value and value not in CHOICES[name].values:
        return _("请选择有效的选项")
    if name.endswith("_fen") or name in ("overdue_days", "year"):
        number = _int(value)
        if value and (number is None or number < 0 or number > MAX_FEN):
            return _("请输入不小于 0 的整数")
    return ""


def validate(data: dict[str, Any], *, complete: bool) -> dict[str, str]:
    """Errors keyed by path (``household.phone``, ``members.0.id_number``, ``assets.1.value_fen``).

    ``complete=False`` (a draft) checks only what is filled in; ``complete=True`` (submit) also
    requires members, exactly one head and unique ID numbers.
    """
    errors: dict[str, str] = {}
    household = data.get("household", {})
    if household.get("phone"):
        message = validate_field("phone", household["phone"])
        if message:
            errors["household.phone"] = message
    members = data.get("members", [])
    if len(members) > MAX_MEMBERS:
        errors["members"] = _("家庭成员过多")
    seen: dict[str, int] = {}
    for i, member in enumerate(members):
        for name in MEMBER_FIELDS:
            value = member.get(name)
            if not complete and not value:
                continue
            if name in ("education", "occupation") and not value:
                continue
            if name == "relation" and not value:
                errors[f"members.{i}.relation"] = _("请选择与户主关系")
                continue
            message = validate_field(name, value)
            if message:
                errors[f"members.{i}.{name}"] = message
        id_number = member.get("id_number", "")
        if id_number and id_number in seen:
            errors[f"members.{i}.id_number"] = _("身份证号码重复")
        seen[id_number] = i
    if complete:
        heads = [m for m in members if m.get("relation") == Relation.HEAD]
        if not members:
            errors["members"] = _("至少填写一名家庭成员")
        elif len(heads) != 1:
            errors["members"] = _("家庭成员中须有且仅有一名户主")
    for section, fields in SECTIONS.items():
        rows = data.get(section, [])
        if len(rows) > MAX_ROWS:
            errors[section] = _("条目过多")
        for i, row in enumerate(rows):
            for name in fields:
                value = row.get(name)
                choices = SECTION_CHOICES.get((section, name))
                if choices is not None:
                    if (value or complete) and value not in choices.values:
                        errors[f"{section}.{i}.{name}"] = _("请选择有效的选项")
                elif name == "quantity":
                    try:
                        if value not in ("", None) and Decimal(str(value)) < 0:
                            raise InvalidOperation
                    except InvalidOperation:
                        errors[f"{section}.{i}.{name}"] = _("请输入不小于 0 的数字")
                elif name.endswith("_fen") or name in ("year", "overdue_days"):
                    message = validate_field(name, value)
                    if message:
                        errors[f"{section}.{i}.{name}"] = message
                    elif name == "year" and complete and not (2000 <= (_int(value) or 0) <= 2100):
                        errors[f"{section}.{i}.{name}"] = _("请填写有效的年度")
    return errors


# --- flat form, diff and merge -----------------------------------------------------------------


def _canonical(rows: list[dict[str, Any]]) -> str:
    return json.dumps(sorted(json.dumps(r, sort_keys=True, ensure_ascii=False) for r in rows), ensure_ascii=False)


def flatten(data: dict[str, Any]) -> dict[str, Any]:
    """``{"household.phone": ..., "member.<id>.name": ..., "assets": "<canonical list>"}``."""
    flat: dict[str, Any] = {}
    for head in HEADS:
        for name, value in (data.get(head) or {}).items():
            flat[f"{head}.{name}"] = value
    if _is_org(data):  # an entity's or collective's archive: one flat section
        return flat
    for member in data.get("members") or []:
        key = member.get("id_number") or ""
        for name in MEMBER_FIELDS:
            if name != "id_number":
                flat[f"member.{key}.{name}"] = member.get(name, "")
    for section in SECTIONS:
        flat[section] = _canonical(data.get(section) or [])
    return flat


# Top-level sections of plain fields: a household's own fields, or an entity's / collective's archive.
HEADS = ("household", "entity", "collective")


def _is_org(data: dict[str, Any]) -> bool:
    return "entity" in data or "collective" in data


def unflatten(flat: dict[str, Any], *, member_order: list[str]) -> dict[str, Any]:
    orgs = {key.split(".", 1)[0] for key in flat if key.startswith(("entity.", "collective."))}
    if orgs:
        return {
            head: {k.split(".", 1)[1]: v for k, v in flat.items() if k.startswith(f"{head}.")} for head in sorted(orgs)
        }
    household = {k.split(".", 1)[1]: v for k, v in flat.items() if k.startswith("household.")}
    members: dict[str, dict[str, Any]] = {}
    for key, value in flat.items():
        if key.startswith("member."):
            _prefix, id_number, name = key.split(".", 2)
            members.setdefault(id_number, {"id_number": id_number})[name] = value
    ordered = [i for i in member_order if i in members] + sorted(i for i in members if i not in member_order)
    out: dict[str, Any] = {"household": household, "members": [members[i] for i in ordered]}
    for section in SECTIONS:
        out[section] = [json.loads(r) for r in json.loads(flat.get(section) or "[]")]
    return out


def member_names(*datas: dict[str, Any]) -> dict[str, str]:
    names: dict[str, str] = {}
    for data in datas:
        for m in data.get("members") or []:
            names.setdefault(m.get("id_number", ""), m.get("name", ""))
    return names


def field_label(key: str, names: dict[str, str] | None = None) -> str:
    if key.startswith(("entity.", "collective.")):
        from creditvillage.collection import subjects

        return subjects.label(key)
    if key.startswith("household."):
        return str(LABELS.get(key.split(".", 1)[1], key))
    if key.startswith("member."):
        _prefix, id_number, name = key.split(".", 2)
        who = (names or {}).get(id_number) or id_number
        return f"{LABELS['member']} {who} · {LABELS.get(name, name)}"
    return str(LABELS.get(key, key))


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """Field-by-field differences: ``[{"key", "label", "old", "new"}]`` in a stable order."""
    a, b = flatten(old), flatten(new)
    names = member_names(new, old)
    keys = [k for k in _ordered_keys(a, b) if a.get(k) != b.get(k)]
    return [
        {"key": k, "label": field_label(k, names), "old": _display(k, a.get(k)), "new": _display(k, b.get(k))}
        for k in keys
    ]


def _ordered_keys(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    seen: dict[str, None] = {}
    for key in list(a) + list(b):
        seen.setdefault(key, None)
    return list(seen)


def _display(key: str, value: Any) -> Any:
    if key.startswith(("entity.", "collective.")):
        from creditvillage.collection import subjects

        return subjects.display(key, value)
    if key in SECTIONS:
        return [json.loads(r) for r in json.loads(value or "[]")]
    return value


def select(base: dict[str, Any], data: dict[str, Any], accepted: set[str]) -> dict[str, Any]:
    """``base`` with only the ``accepted`` flat keys taken from ``data`` (field-by-field verification).

    A member added in ``data`` comes in when any of its keys is accepted; a removed member
    goes when ``member.<id>.name`` is accepted.
    """
    a, b = flatten(base), flatten(data)
    out = dict(a)
    for key in _ordered_keys(a, b):
        if key in accepted:
            if key in b:
                out[key] = b[key]
            else:
                out.pop(key, None)
    added = {k.split(".")[1] for k in b if k.startswith("member.") and k not in a and k in accepted}
    for key, value in b.items():
        if key.startswith("member.") and key.split(".")[1] in added:
            out[key] = value
    # Members whose name was dropped (accepted removal) leave entirely.
    gone = {k.split(".")[1] for k in a if k.endswith(".name") and k in accepted and k not in b}
    out = {k: v for k, v in out.items() if not (k.startswith("member.") and k.split(".")[1] in gone)}
    order = [m.get("id_number", "") for m in (data.get("members") or [])]
    return unflatten(out, member_order=order)


def merge(base: dict[str, Any], current: dict[str, Any], mine: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Three-way merge of a submission onto an archive changed since it started.

    Keys the collector left as in ``base`` take the ``current`` value; keys only the collector
    changed keep theirs; keys both changed differently keep the collector's value and are
    returned as conflicts (to be reviewed, never silently dropped).
    """
    b, c, m = flatten(base), flatten(current), flatten(mine)
    out: dict[str, Any] = {}
    conflicts: list[str] = []
    for key in _ordered_keys({**b, **c}, m):
        bv, cv, mv = b.get(key), c.get(key), m.get(key)
        if mv == bv:
            if cv is not None:
                out[key] = cv
        else:
            if mv is not None:
                out[key] = mv
            if cv != bv and cv != mv:
                conflicts.append(key)
    order = [x.get("id_number", "") for x in (mine.get("members") or [])]
    return unflatten(out, member_order=order), conflicts
