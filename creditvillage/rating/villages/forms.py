"""Forms of the credit village / township pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class ApplicationForm(forms.Form):
    region = forms.ChoiceField(label=_("申报村（乡镇）"))
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    requested_grade = forms.ChoiceField(label=_("申报等级"), choices=[("AAA", "AAA"), ("AA", "AA"), ("A", "A")])
    statement = forms.CharField(
        label=_("申报说明"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    no_discipline_declared = forms.BooleanField(label=_("承诺本年度村（乡镇）两委无严重违纪案件"), required=False)

    def __init__(self, *args: Any, regions: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: forms.ChoiceField = self.fields["region"]  # type: ignore[assignment]
        field.choices = [(r.code, f"{r.name}（{r.code}）") for r in regions]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("结论"), choices=[("approve", _("通过")), ("reject", _("不通过"))])
    opinion = forms.CharField(label=_("意见"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class CriteriaForm(forms.Form):
    level = forms.ChoiceField(label=_("层级"), choices=[("village", _("信用村")), ("township", _("信用乡镇"))])
    grade = forms.CharField(label=_("等级"), max_length=8)
    min_credit_share = forms.DecimalField(
        label=_("A级及以上农户占比不低于（%）"), required=False, max_digits=5, decimal_places=2
    )
    min_coverage = forms.DecimalField(label=_("建档覆盖率不低于（%）"), required=False, max_digits=5, decimal_places=2)
    max_npl_ratio = forms.DecimalField(label=_("不良贷款率不高于（%）"), required=False, max_digits=5, decimal_places=2)
    min_collective_grade = forms.CharField(label=_("村集体经济组织等级不低于"), max_length=8, required=False)
    min_credit_village_share = forms.DecimalField(
        label=_("信用村占比不低于（%）"), required=False, max_digits=5, decimal_places=2
    )
    require_no_discipline = forms.BooleanField(label=_("无严重违纪案件"), required=False)
    reason = forms.CharField(label=_("修改原因"), max_length=200)
