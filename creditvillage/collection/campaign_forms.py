"""Input shapes of the campaign, assignment and reassignment pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from creditvillage.accounts.models import User
from creditvillage.regions.models import Grid, Region, VillagerGroup


class CampaignForm(forms.Form):
    region = forms.ModelChoiceField(label=_("区域（乡镇或县区）"), queryset=Region.objects.none())
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    name = forms.CharField(label=_("名称"), max_length=100, required=False, help_text=_("留空则自动命名"))
    civility_due = forms.DateField(
        label=_("评议截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    archives_due = forms.DateField(
        label=_("建档截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    ratings_due = forms.DateField(
        label=_("评定截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    spot_check_ratio = forms.DecimalField(
        label=_("督查抽查比例"), required=False, min_value=0, max_value=1, decimal_places=3, initial="0.05"
    )

    def __init__(self, *args: Any, regions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions  # type: ignore[attr-defined]


class _Choice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        if isinstance(obj, User):
            return str(obj.display_name or obj.username)
        return f"{obj.village.name} · {obj.name}"


class AssignForm(forms.Form):
    BY = (("grid", _("按网格")), ("group", _("按村民小组")))

    by = forms.ChoiceField(label=_("分配方式"), choices=BY, initial="grid", widget=forms.RadioSelect)
    grid = _Choice(label=_("网格"), queryset=Grid.objects.none(), required=False)
    group = _Choice(label=_("村民小组"), queryset=VillagerGroup.objects.none(), required=False)
    collector = _Choice(label=_("采集员"), queryset=User.objects.none())

    def __init__(self, *args: Any, grids: Any, groups: Any, collectors: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = grids  # type: ignore[attr-defined]
        self.fields["group"].queryset = groups  # type: ignore[attr-defined]
        self.fields["collector"].queryset = collectors  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        by = data.get("by")
        if by and not data.get(by):
            self.add_error(by, _("请选择要分配的网格或村民小组"))
        return data


class ReassignForm(forms.Form):
    from_collector = _Choice(label=_("原采集员"), queryset=User.objects.none())
    to_collector = _Choice(label=_("新采集员"), queryset=User.objects.none())
    reason = forms.CharField(label=_("调整原因"), max_length=200)

    def __init__(self, *args: Any, collectors: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from_collector"].queryset = collectors  # type: ignore[attr-defined]
        self.fields["to_collector"].queryset = collectors  # type: ignore[attr-defined]
