"""Forms of the collection pages. The archive form is a set of rows (members, assets, ...) posted as
``<section>-<index>-<field>``; it is parsed here into the submission's data shape."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from creditvillage.collection import archive
from creditvillage.collection.models import SubmissionState
from creditvillage.core.money import fen_to_yuan, yuan_to_fen
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
