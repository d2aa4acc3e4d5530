from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from creditvillage.core.identifiers import ValidationResult, validate_mobile, validate_resident_id
from creditvillage.regions.choices import LEVEL_DEPTH, RegionLevel
from creditvillage.regions.models import Region
from creditvillage.registry.choices import ArchiveStatus, Education, Relation
from creditvillage.registry.models import Household, Person

GRADE_CHOICES = [
    ("", _("全部等级")),
    ("AAA", "AAA"),
    ("AA", "AA"),
    ("A", "A"),
    ("B", "B"),
    ("C", "C"),
    ("D", "D"),
    ("none", _("未评定")),
]

# A reason is what turns an edit into an accountable record (谁采集、谁负责); it is written to the
# audit log with the change.
REASON_HELP = _("必填，将与修改内容一起记入审计日志，例如：入户核实后更正、农户本人申请变更")


class HouseholdFilterForm(forms.Form):
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "enterkeyhint": "search"}),
    )
    region = forms.ChoiceField(label=_("区域"), required=False)
    grade = forms.ChoiceField(label=_("信用等级"), required=False, choices=GRADE_CHOICES)
    status = forms.ChoiceField(
        label=_("建档状态"), required=False, choices=[("", _("全部状态")), *ArchiveStatus.choices]
    )

    def __init__(self, *args: Any, regions: list[Region], id_search: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        region_field: forms.ChoiceField = self.fields["region"]  # type: ignore[assignment]
        top = min((LEVEL_DEPTH[RegionLevel(r.level)] for r in regions), default=0)
        indent = {depth: "\u3000" * i for i, depth in enumerate(d for d in (2, 4, 6, 9, 12) if d >= top)}
        region_field.choices = [("", _("全部区域"))] + [
            (r.code, f"{indent.get(LEVEL_DEPTH[RegionLevel(r.level)], '')}{r.name}") for r in regions
        ]
        placeholder = _("户主姓名 / 户编号 / 身份证号") if id_search else _("户主姓名 / 户编号")
        self.fields["q"].widget.attrs["placeholder"] = placeholder

    def filters(self) -> dict[str, str]:
        """The cleaned filters (empty strings for unset ones); call after ``is_valid()``."""
        data = getattr(self, "cleaned_data", {})
        return {name: data.get(name) or "" for name in ("q", "region", "grade", "status")}


class ReasonMixin(forms.Form):
    reason = forms.CharField(
        label=_("修改原因"),
        max_length=200,
        help_text=REASON_HELP,
        error_messages={"required": _("请填写修改原因。")},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


def _identifier(value: str, validate: Callable[[str], ValidationResult]) -> str:
    """Check an identifier as the service will, so every error shows at once, beside its field."""
    if not value:
        return value
    result = validate(value)
    if not result.valid:
        raise forms.ValidationError([str(error.message) for error in result.errors])
    return result.normalized


class HouseholdEditForm(ReasonMixin, forms.ModelForm):
    class Meta:
        model = Household
        fields = ["phone", "address", "main_business", "group", "grid", "is_low_income", "is_monitored", "social_notes"]
        widgets = {
            "social_notes": forms.Textarea(attrs={"rows": 3}),
            "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        village = self.instance.region
        group_field: forms.ModelChoiceField = self.fields["group"]  # type: ignore[assignment]
        grid_field: forms.ModelChoiceField = self.fields["grid"]  # type: ignore[assignment]
        group_field.queryset = village.groups.all()
        grid_field.queryset = village.grids.all()
        group_field.empty_label = grid_field.empty_label = _("（未指定）")

    def clean_phone(self) -> str:
        return _identifier(self.cleaned_data["phone"], validate_mobile)

    def changes(self) -> dict[str, Any]:
        """The fields the user changed, for ``household_update``."""
        return {name: self.cleaned_data[name] for name in self.changed_data if name != "reason"}


class PersonEditForm(ReasonMixin, forms.ModelForm):
    class Meta:
        model = Person
        fields = ["name", "id_number", "relation", "political_status", "education", "occupation", "phone", "health"]
        widgets = {
            "id_number": forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "maxlength": 18}),
            "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        }
        error_messages = {
            "id_number": {"unique": _("该身份证号码已登记在其他家庭成员名下，请核对。")},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["id_number"].help_text = _("18位居民身份证号码；性别和出生日期将按号码自动更新")
        education: forms.ChoiceField = self.fields["education"]  # type: ignore[assignment]
        education.choices = [("", _("（未填写）")), *Education.choices]

    def clean_phone(self) -> str:
        return _identifier(self.cleaned_data["phone"], validate_mobile)

    def clean_relation(self) -> str:
        relation: str = self.cleaned_data["relation"]
        # Mirrors the one_head_per_household constraint, so the error appears beside this field
        # instead of as a bare constraint name after saving.
        if relation == Relation.HEAD and "relation" in self.changed_data:
            household = self.instance.household
            if household.members.filter(relation=Relation.HEAD).exclude(pk=self.instance.pk).exists():
                raise forms.ValidationError(_("本户已有户主。如需更换户主，请先把原户主改为其他关系。"))
        return relation

    def clean_id_number(self) -> str:
        return _identifier(self.cleaned_data["id_number"], validate_resident_id)

    def changes(self) -> dict[str, Any]:
        """The fields the user changed, for ``person_update``."""
        return {name: self.cleaned_data[name] for name in self.changed_data if name != "reason"}
