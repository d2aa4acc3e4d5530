"""Entity and collective archives (新型农业经营主体、村集体经济组织) as submission data.

A submission's ``data``/``base`` for these subjects is one flat section::

    {"entity": {"name", "uscc", "kind", "legal_rep_name", "legal_rep_id_number", "phone",
                "main_business", "employees", "annual_revenue_fen", "assets_fen", "debts_fen",
                "founded_on"}}
    {"collective": {"name", "uscc", "legal_rep_name", "members_count", "assets_fen", "debts_fen",
                    "annual_income_fen", "operating_income_fen"}}

Money is integer fen; ``founded_on`` an ISO date or ``""``. The generic machinery of
``archive`` (flatten, diff, field-by-field select, three-way merge) handles these shapes; this
module adds what differs per kind: reading the registry row, normalising, validating and writing
the verified archive back through the registry services (``ADR 0040``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from creditvillage.collection.models import SubjectType
from creditvillage.core.identifiers import validate_mobile, validate_resident_id, validate_uscc
from creditvillage.core.money import fen_to_yuan
from creditvillage.registry import services as registry_services
from creditvillage.registry.choices import EntityKind
from creditvillage.registry.models import BusinessEntity, Collective

__all__ = ["ORG_HEADS", "OrgKind", "display", "kind_for", "label"]

MAX_FEN = 10**13
MAX_COUNT = 10**6
INT_FIELDS = frozenset({"employees", "members_count"})

LABELS: dict[str, Any] = {
    "name": gettext_lazy("名称"),
    "uscc": gettext_lazy("统一社会信用代码"),
    "kind": gettext_lazy("主体类型"),
    "legal_rep_name": gettext_lazy("法定代表人"),
    "legal_rep_id_number": gettext_lazy("法定代表人身份证号"),
    "phone": gettext_lazy("联系电话"),
    "main_business": gettext_lazy("主营业务"),
    "employees": gettext_lazy("从业人数"),
    "annual_revenue_fen": gettext_lazy("年营业收入（元）"),
    "assets_fen": gettext_lazy("资产总额（元）"),
    "debts_fen": gettext_lazy("负债总额（元）"),
    "founded_on": gettext_lazy("成立日期"),
    "members_count": gettext_lazy("成员数"),
    "annual_income_fen": gettext_lazy("年收入（元）"),
    "operating_income_fen": gettext_lazy("经营性收入（元）"),
}
# Shown masked to actors without view_sensitive (the representative's ID, the phone, the money).
SENSITIVE = frozenset({"legal_rep_id_number", "phone"})


@dataclass(frozen=True)
class OrgKind:
    """What differs between an entity and a collective archive."""

    subject_type: str
    head: str  # the data key ("entity" / "collective")
    model: Any
    fields: tuple[str, ...]
    required: tuple[str, ...]

    def data(self, obj: Any) -> dict[str, Any]:
        """The registry row's archive in the submission shape."""
        values: dict[str, Any] = {}
        for name in self.fields:
            value = getattr(obj, name)
            if isinstance(value, dt.date):
                value = value.isoformat()
            elif value is None:
                value = ""
            values[name] = value
        return {self.head: values}

    def normalize(self, data: Any) -> dict[str, Any]:
        """Coerce posted data to the shape; unknown keys dropped, bad numbers kept as text for the validator."""
        raw = data.get(self.head) if isinstance(data, dict) else None
        raw = raw if isinstance(raw, dict) else {}
        out: dict[str, Any] = {}
        for name in self.fields:
            value = raw.get(name)
            text = str(value if value is not None else "").strip()
            if name.endswith("_fen") or name in INT_FIELDS:
                if isinstance(value, int) and not isinstance(value, bool):
                    out[name] = value
                else:
                    try:
                        out[name] = int(text) if text else 0
                    except ValueError:
                        out[name] = text[:20]
            elif name in ("uscc", "legal_rep_id_number"):
                out[name] = text.upper()[:40]
            else:
                out[name] = text[:100]
        return {self.head: out}

    def validate(self, data: dict[str, Any], *, complete: bool) -> dict[str, str]:
        """Errors keyed by path (``entity.uscc``). ``complete`` (submit) also requires the named fields."""
        values = data.get(self.head) or {}
        errors: dict[str, str] = {}
        for name in self.fields:
            value = values.get(name)
            message = validate_field(name, value)
            if not message and complete and name in self.required and value in ("", None):
                message = _("此项为必填项")
            if message:
                errors[f"{self.head}.{name}"] = message
        return errors

    def check_unique(self, obj: Any, data: dict[str, Any]) -> dict[str, str]:
        """The USCC must not belong to another entity or collective."""
        uscc = (data.get(self.head) or {}).get("uscc", "")
        if not uscc:
            return {}
        taken = (
            BusinessEntity.objects.filter(uscc=uscc).exclude(pk=obj.pk if self.model is BusinessEntity else 0).exists()
            or Collective.objects.filter(uscc=uscc).exclude(pk=obj.pk if self.model is Collective else 0).exists()
        )
        return {f"{self.head}.uscc": _("该统一社会信用代码已登记在其他主体")} if taken else {}

    def apply(self, *, actor: Any, obj: Any, data: dict[str, Any], reason: str, channel: str) -> Any:
        """Write the verified values through the registry services (validated, provenance, audited)."""
        values = dict(data.get(self.head) or {})
        if "founded_on" in values:
            values["founded_on"] = dt.date.fromisoformat(values["founded_on"]) if values["founded_on"] else None
        changes = {k: v for k, v in values.items() if getattr(obj, k) != v}
        if changes:
            if self.model is BusinessEntity:
                obj = registry_services.entity_update(
                    actor=actor, entity=obj, changes=changes, reason=reason, channel=channel
                )
            else:
                obj = registry_services.collective_update(
                    actor=actor, collective=obj, changes=changes, reason=reason, channel=channel
                )
        return obj


ENTITY = OrgKind(
    subject_type=SubjectType.ENTITY,
    head="entity",
    model=BusinessEntity,
    fields=registry_services.ENTITY_EDITABLE,
    required=("name", "uscc", "kind", "legal_rep_name"),
)
COLLECTIVE = OrgKind(
    subject_type=SubjectType.COLLECTIVE,
    head="collective",
    model=Collective,
    fields=registry_services.COLLECTIVE_EDITABLE,
    required=("name", "uscc", "legal_rep_name"),
)
KINDS: dict[str, OrgKind] = {ENTITY.subject_type: ENTITY, COLLECTIVE.subject_type: COLLECTIVE}
ORG_HEADS = (ENTITY.head, COLLECTIVE.head)


def kind_for(subject_type: str) -> OrgKind:
    return KINDS[subject_type]


def kind_of(obj: Any) -> OrgKind:
    return ENTITY if isinstance(obj, BusinessEntity) else COLLECTIVE


def validate_field(name: str, value: Any) -> str:
    """The error message for one field's value ('' when valid); used as the operator types (htmx)."""
    text = str(value if value is not None else "").strip()
    if name == "uscc":
        if not text:
            return ""
        result = validate_uscc(text)
        return "" if result.valid else str(result.errors[0].message)
    if name == "legal_rep_id_number" and text:
        result = validate_resident_id(text)
        return "" if result.valid else str(result.errors[0].message)
    if name == "phone" and text:
        result = validate_mobile(text)
        return "" if result.valid else str(result.errors[0].message)
    if name == "kind" and text and text not in EntityKind.values:
        return _("请选择有效的选项")
    if name == "founded_on" and text:
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            return _("请填写有效的日期")
        if day > timezone.localdate() or day.year < 1949:
            return _("请填写有效的日期")
    if name.endswith("_fen") or name in INT_FIELDS:
        limit = MAX_FEN if name.endswith("_fen") else MAX_COUNT
        if isinstance(value, bool) or not isinstance(value, int):
            return _("请输入不小于 0 的整数") if text else ""
        if value < 0 or value > limit:
            return _("请输入不小于 0 的整数")
    return ""


def label(key: str) -> str:
    """``entity.uscc`` → 统一社会信用代码."""
    return str(LABELS.get(key.split(".", 1)[-1], key))


def display(key: str, value: Any) -> Any:
    """A diff value as shown: money in yuan, the entity kind by its label."""
    name = key.split(".", 1)[-1]
    if name.endswith("_fen") and isinstance(value, int) and not isinstance(value, bool):
        return f"{fen_to_yuan(value):,.2f}"  # the label says 元
    if name == "kind" and value in EntityKind.values:
        return str(EntityKind(value).label)
    return value
