from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from creditvillage.core.identifiers import validate_mobile

GRADE_CHOICES = [("", "—"), ("AAA", "AAA"), ("AA", "AA"), ("A", "A"), ("B", "B"), ("C", "C"), ("D", "D")]


class CycleOpenForm(forms.Form):
    region = forms.ChoiceField(label=_("区域"))
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    notice_days = forms.IntegerField(label=_("公示天数"), min_value=1, max_value=30, initial=7)

    def __init__(self, *args: Any, regions: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = regions  # type: ignore[attr-defined]


class PublishForm(forms.Form):
    days = forms.IntegerField(label=_("公示天数"), min_value=1, max_value=30)


class ObjectionForm(forms.Form):
    """The household's own objection (its name comes from the login)."""

    text = forms.CharField(label=_("异议内容"), min_length=5, max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    items = forms.CharField(
        label=_("对哪些评分项有异议（可选）"),
        required=False,
        max_length=500,
        help_text=_("例如：家庭收入、乡风文明评议；多项用逗号分隔"),
    )
    evidence = forms.FileField(label=_("证明材料（可选，JPG/PNG/PDF，不超过5MB）"), required=False)

    def item_list(self) -> list[str]:
        raw = self.cleaned_data.get("items") or ""
        return [part.strip() for part in raw.replace("，", ",").split(",") if part.strip()]


class PublicObjectionForm(ObjectionForm):
    """A villager's objection from the notice's public page: name and mobile number required."""

    rating = forms.TypedChoiceField(label=_("对谁的评定有异议"), coerce=int)
    name = forms.CharField(label=_("您的姓名"), max_length=50)
    phone = forms.CharField(label=_("手机号码"), max_length=20, help_text=_("仅用于联系您，不会公开"))

    field_order = ["rating", "name", "phone", "text", "items", "evidence"]

    def __init__(self, *args: Any, subjects: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rating"].choices = [("", "—"), *subjects]  # type: ignore[attr-defined]

    def clean_phone(self) -> str:
        result = validate_mobile(self.cleaned_data["phone"])
        if not result.valid:
            raise forms.ValidationError(_("请填写有效的手机号码"))
        return result.normalized or ""


class DecideForm(forms.Form):
    outcome = forms.ChoiceField(label=_("处理结论"), choices=[("upheld", _("维持")), ("corrected", _("更正"))])
    grade = forms.ChoiceField(label=_("更正后的等级"), choices=GRADE_CHOICES, required=False)
    score = forms.DecimalField(label=_("更正后的得分"), required=False, max_digits=8, decimal_places=2, min_value=0)
    reason = forms.CharField(label=_("理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("outcome") == "corrected" and not data.get("grade"):
            self.add_error("grade", _("请选择更正后的信用等级"))
        return data


class EscalateForm(forms.Form):
    reason = forms.CharField(
        label=_("复议理由"), min_length=5, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
