"""Forms of the collection pages. The archive form is a set of rows (members, assets, ...) posted as
``<section>-<index>-<field>``; it is parsed here into the submission's data shape."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from creditvillage.collection import archive, subjects
from creditvillage.collection.models import SubmissionState
from creditvillage.core.money import fen_to_yuan, yuan_to_fen
from creditvillage.registry.choices import (
    AssetKind,
    DebtKind,
    Education,
    EntityKind,
    Health,
    IncomeSource,
    InsuranceKind,
    PoliticalStatus,
    Relation,
)

ROW_SECTIONS = ("members", *archive.SECTIONS)
MAX_INDEX = 60


def _money_in(value: str) -> Any:
    """A yuan amount typed by the collector → fen (the stored unit); junk is kept for the validator."""
    value = (value or "").strip()
    if not value:
        return 0
    try:
        return yuan_to_fen(value)
    except ValueError:
        return value


def _money_out(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        amount = fen_to_yuan(value)
        return f"{amount:f}".rstrip("0").rstrip(".") if amount else "0"
    return str(value or "")


def archive_from_post(post: QueryDict) -> dict[str, Any]:
    """The posted archive form as submission data (not yet normalised or validated). Money comes in yuan."""
    household: dict[str, Any] = {name: post.get(f"household-{name}", "") for name in archive.HOUSEHOLD_FIELDS}
    for flag in ("is_low_income", "is_monitored"):
        household[flag] = post.get(f"household-{flag}") in ("on", "1", "true")
    data: dict[str, Any] = {"household": household}
    for section in ROW_SECTIONS:
        fields = archive.MEMBER_FIELDS if section == "members" else archive.SECTIONS[section]
        rows = []
        for i in range(MAX_INDEX):
            if not any(f"{section}-{i}-{name}" in post for name in fields):
                continue
            row: dict[str, Any] = {name: post.get(f"{section}-{i}-{name}", "") for name in fields}
            for name in fields:
                if name.endswith("_fen"):
                    row[name] = _money_in(row[name])
            rows.append(row)
        data[section] = rows
    return data


def _options(choices: Any) -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in choices.choices]


def form_context(
    data: dict[str, Any], *, errors: dict[str, str] | None = None, extra: dict[str, int] | None = None
) -> dict[str, Any]:
    """What the archive form template needs: rows (plus blank ones) with their errors, and the options.

    ``errors`` are keyed like ``archive.validate``'s (``members.0.id_number``). Money shows in yuan.
    """
    errors = errors or {}
    extra = extra or {}
    sections = {}
    for section in ROW_SECTIONS:
        rows = list(data.get(section) or [])
        blank = extra.get(section, 1 if not rows and section == "members" else 0)
        fields = archive.MEMBER_FIELDS if section == "members" else archive.SECTIONS[section]
        rows += [dict.fromkeys(fields, "") for _ in range(blank)]
        sections[section] = [
            {
                "index": i,
                "v": {k: (_money_out(v) if k.endswith("_fen") else v) for k, v in row.items()},
                "e": {name: errors.get(f"{section}.{i}.{name}", "") for name in fields},
            }
            for i, row in enumerate(rows)
        ]
    return {
        "hh": data.get("household") or {},
        "household_errors": {name: errors.get(f"household.{name}", "") for name in archive.HOUSEHOLD_FIELDS},
        "section_errors": {name: errors.get(name, "") for name in ROW_SECTIONS},
        "sections": sections,
        "options": {
            "relation": _options(Relation),
            "political_status": _options(PoliticalStatus),
            "education": _options(Education),
            "health": _options(Health),
            "asset_kind": _options(AssetKind),
            "income_source": _options(IncomeSource),
            "debt_kind": _options(DebtKind),
            "insurance_kind": _options(InsuranceKind),
        },
    }


class QueueFilterForm(forms.Form):
    village = forms.ChoiceField(label=_("村"), required=False)
    state = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部状态")), *SubmissionState.choices])

    def __init__(self, *args: Any, villages: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        village: Any = self.fields["village"]
        village.choices = [("", _("全部村")), *villages]


class DrawForm(forms.Form):
    village = forms.ChoiceField(label=_("村"))
    ratio = forms.DecimalField(
        label=_("抽查比例"),
        min_value=0.001,
        max_value=1,
        decimal_places=3,
        required=False,
        help_text=_("留空则按批次设置"),
    )
    seed = forms.CharField(label=_("随机种子"), max_length=64, required=False, help_text=_("留空则随机生成并记录"))

    def __init__(self, *args: Any, villages: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        village: Any = self.fields["village"]
        village.choices = villages


# --- entities and collectives ---------------------------------------------------------------------

ORG_PREFIX = "org"


class OrganisationArchiveForm(forms.Form):
    """An entity's or collective's archive on a phone (新型农业经营主体 / 村集体经济组织 建档).

    Every field is optional here (a draft may be partial); the service validates the values
    (USCC, ID number, phone, amounts) and, on submit, that the required ones are filled in.
    Money is typed in yuan and stored in fen.
    """

    def __init__(self, *args: Any, subject_type: str, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", ORG_PREFIX)
        super().__init__(*args, **kwargs)
        self.kind = subjects.kind_for(subject_type)
        for name in self.kind.fields:
            self.fields[name] = _org_field(name)

    def archive_data(self) -> dict[str, Any]:
        """The posted values as submission data (money converted to fen; the rest as typed)."""
        values: dict[str, Any] = {}
        for name in self.kind.fields:
            raw = str(self.data.get(self.add_prefix(name), "") or "")[:100]
            values[name] = _money_in(raw) if name.endswith("_fen") else raw.strip()
        return {self.kind.head: values}


def org_initial(subject_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """A submission's entity/collective data as form initial values (money in yuan)."""
    values = data.get(subject_type) or {}
    return {k: (_money_out(v) if k.endswith("_fen") else v) for k, v in values.items()}


_ORG_HINTS: dict[str, Any] = {
    "uscc": _("18位，营业执照上的统一社会信用代码"),
    "legal_rep_id_number": _("18位居民身份证号码"),
}


def _org_field(name: str) -> forms.Field:
    attrs: dict[str, str] = {"autocomplete": "off"}
    if name.endswith("_fen"):
        attrs |= {"inputmode": "decimal"}
    elif name in subjects.INT_FIELDS:
        attrs |= {"inputmode": "numeric"}
    elif name == "phone":
        attrs |= {"inputmode": "tel", "maxlength": "11"}
    elif name in ("uscc", "legal_rep_id_number"):
        attrs |= {"maxlength": "18", "autocapitalize": "characters", "spellcheck": "false", "class": "id"}
    if name in ("uscc", "legal_rep_id_number", "phone"):  # checked as typed (htmx)
        attrs |= {
            "hx-post": str(reverse("collection:field-validate")),
            "hx-trigger": "change",
            "hx-target": "next .hint",
            "hx-swap": "innerHTML",
        }
    field: forms.Field
    if name == "kind":
        field = forms.ChoiceField(choices=[("", "—"), *EntityKind.choices], required=False)
    elif name == "founded_on":
        field = forms.CharField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    else:
        field = forms.CharField(required=False, max_length=100, widget=forms.TextInput(attrs=attrs))
    field.label = subjects.LABELS[name]
    field.help_text = _ORG_HINTS.get(name, "")
    return field
