from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from creditvillage.registry.choices import ArchiveStatus
from creditvillage.registry.models import Household

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


class HouseholdFilterForm(forms.Form):
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"placeholder": _("户主姓名 / 户编号 / 身份证号"), "type": "search"}),
    )
    region = forms.ChoiceField(label=_("区域"), required=False)
    grade = forms.ChoiceField(label=_("信用等级"), required=False, choices=GRADE_CHOICES)
    status = forms.ChoiceField(
        label=_("建档状态"), required=False, choices=[("", _("全部状态")), *ArchiveStatus.choices]
    )

    def __init__(self, *args: Any, regions: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        region_field: forms.ChoiceField = self.fields["region"]  # type: ignore[assignment]
        region_field.choices = [("", _("全部区域"))] + [(r.code, r.name) for r in regions]


class HouseholdEditForm(forms.ModelForm):
    reason = forms.CharField(label=_("修改原因"), max_length=200, help_text=_("将记入审计日志"))

    class Meta:
        model = Household
        fields = ["address", "phone", "main_business", "group", "grid", "is_low_income", "is_monitored", "social_notes"]
        widgets = {"social_notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        village = self.instance.region
        group_field: forms.ModelChoiceField = self.fields["group"]  # type: ignore[assignment]
        grid_field: forms.ModelChoiceField = self.fields["grid"]  # type: ignore[assignment]
        group_field.queryset = village.groups.all()
        grid_field.queryset = village.grids.all()
