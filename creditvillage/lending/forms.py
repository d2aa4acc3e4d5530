from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

YUAN_FIELD: dict[str, Any] = {"max_digits": 14, "decimal_places": 2, "min_value": Decimal("0.01")}


class ConsentForm(forms.Form):
    bank = forms.TypedChoiceField(label=_("金融机构"), coerce=int)
    purpose = forms.CharField(label=_("授权用途"), max_length=100, initial="信用评定结果查询与授信审批")

    def __init__(self, *args: Any, banks: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["bank"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 - declared just above
        field.choices = banks


class PaperConsentForm(ConsentForm):
    household = forms.IntegerField(label=_("农户编号（系统内码）"), min_value=1)
    signature = forms.FileField(label=_("签字扫描件（JPG、PNG 或 PDF）"))


class ApplyForm(forms.Form):
    amount = forms.DecimalField(label=_("申请金额（元）"), **YUAN_FIELD)
    term_months = forms.IntegerField(label=_("期限（月）"), min_value=1, max_value=60, initial=12)
    purpose = forms.CharField(label=_("贷款用途"), max_length=200)
    id_document = forms.FileField(label=_("身份证（照片或PDF）"))
    certificate = forms.FileField(label=_("信用证书（照片或PDF）"))


class DecisionForm(forms.Form):
    approve = forms.TypedChoiceField(
        label=_("审批结果"), choices=[("1", _("批准")), ("0", _("拒绝"))], coerce=lambda v: v == "1"
    )
    amount = forms.DecimalField(label=_("批准金额（元）"), required=False, **YUAN_FIELD)
    rate_pct = forms.DecimalField(label=_("年利率（%）"), required=False, max_digits=7, decimal_places=4)
    term_months = forms.IntegerField(label=_("期限（月）"), required=False, min_value=1, max_value=60)
    reason = forms.CharField(label=_("意见或拒绝原因"), max_length=200, required=False)


class RecommendForm(forms.Form):
    note = forms.CharField(label=_("推荐意见"), max_length=200)


class RepaymentForm(forms.Form):
    amount = forms.DecimalField(label=_("还款金额（元）"), **YUAN_FIELD)
    paid_on = forms.DateField(label=_("还款日期"), widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(label=_("流水号"), max_length=64)


class DepositForm(forms.Form):
    amount = forms.DecimalField(label=_("注资金额（元）"), **YUAN_FIELD)
    reason = forms.CharField(label=_("资金来源或说明"), max_length=200)


class FundTermsForm(forms.Form):
    ratio = forms.DecimalField(label=_("补偿比例（%）"), min_value=0, max_value=100, max_digits=5, decimal_places=2)
    cap = forms.DecimalField(label=_("单笔补偿上限（元）"), **YUAN_FIELD)
    reason = forms.CharField(label=_("原因或依据文件"), max_length=200)


class FundCreateForm(FundTermsForm):
    name = forms.CharField(label=_("名称"), max_length=100, required=False)


class CompensateForm(forms.Form):
    reason = forms.CharField(label=_("代偿说明"), max_length=200, required=False)


class LossShareForm(forms.Form):
    loss = forms.DecimalField(label=_("损失金额（元，默认未还本金）"), required=False, **YUAN_FIELD)


class ValidationForm(forms.Form):
    region = forms.ChoiceField(label=_("区域"))
    year = forms.IntegerField(label=_("评定年度（留空为最近一轮）"), required=False, min_value=2000, max_value=2100)

    def __init__(self, *args: Any, regions: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["region"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 - declared just above
        field.choices = [(r.code, f"{r.name}（{r.code}）") for r in regions]


class RepaymentUploadForm(forms.Form):
    file = forms.FileField(label=_("还款结果表（xlsx）"))
