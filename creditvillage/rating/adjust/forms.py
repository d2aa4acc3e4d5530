"""Forms of the adjustment, negative-list and repair pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from creditvillage.rating.adjust.models import AdjustmentSource


class NegativeListImportForm(forms.Form):
    file = forms.FileField(
        label=_("负面清单（.xlsx）"),
        help_text=_("表头：证件号码、名称、来源、依据、列入日期、到期日期（可空，默认5年）"),
    )
    reason = forms.CharField(label=_("导入原因"), max_length=200)


class DowngradeForm(forms.Form):
    source = forms.ChoiceField(label=_("事件来源"), choices=AdjustmentSource.choices)
    to_grade = forms.CharField(label=_("调整后等级（可空）"), max_length=8, required=False)
    reason = forms.CharField(label=_("调整原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class RepairApplyForm(forms.Form):
    item = forms.ChoiceField(label=_("要修复的负面信息"))
    evidence_text = forms.CharField(
        label=_("整改说明"),
        min_length=10,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("如：欠款已结清、已移出失信名单、处罚已履行"),
    )
    evidence_file = forms.FileField(label=_("证明材料（PDF、JPG、PNG，5MB以内）"), required=False)

    def __init__(self, *args: Any, items: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: forms.ChoiceField = self.fields["item"]  # type: ignore[assignment]
        field.choices = [(f"{i['kind']}:{i['pk']}", i["label"]) for i in items]


class OpinionForm(forms.Form):
    decision = forms.ChoiceField(label=_("结论"), choices=[("approve", _("通过")), ("reject", _("不通过"))])
    opinion = forms.CharField(label=_("意见"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
