"""Input shapes of the civility pages (validation of meaning lives in the services)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from creditvillage.civility.models import GroupKind, ProcedureKind, SchemeVersion

REASON = forms.CharField(label=_("修改原因"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "off"}))


class RoundCreateForm(forms.Form):
    region = forms.ChoiceField(label=_("村"))
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    scheme_version = forms.ModelChoiceField(label=_("评议方案"), queryset=SchemeVersion.objects.none())
    procedure = forms.ChoiceField(label=_("评议程序"), choices=ProcedureKind.choices)
    reason = REASON

    def __init__(self, *args: Any, villages: list[tuple[str, str]], versions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = villages  # type: ignore[attr-defined]
        self.fields["scheme_version"].queryset = versions  # type: ignore[attr-defined]


class MemberForm(forms.Form):
    group = forms.ChoiceField(label=_("小组"), choices=GroupKind.choices)
    user = forms.ChoiceField(label=_("评议员账号"), required=False)
    name = forms.CharField(label=_("姓名"), max_length=32, required=False)
    id_number = forms.CharField(
        label=_("身份证号码"), max_length=18, required=False, help_text=_("用于自动回避本户及亲属户")
    )
    title = forms.CharField(label=_("职务"), max_length=32, required=False)
    reason = REASON

    def __init__(self, *args: Any, users: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [("", _("（不选：录入姓名）")), *users]  # type: ignore[attr-defined]


class RelativeForm(forms.Form):
    member = forms.ChoiceField(label=_("评议人"))
    household = forms.ChoiceField(label=_("亲属所在户"))
    relation = forms.CharField(label=_("亲属关系"), max_length=32)
    reason = REASON

    def __init__(self, *args: Any, members: list[tuple[str, str]], households: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = members  # type: ignore[attr-defined]
        self.fields["household"].choices = households  # type: ignore[attr-defined]


class StepForm(forms.Form):
    kind = forms.CharField(widget=forms.HiddenInput)
    held_on = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(
        label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text=_("公示填写")
    )
    expected = forms.IntegerField(label=_("应到人数"), min_value=1, max_value=10000)
    present = forms.IntegerField(label=_("实到人数"), min_value=0, max_value=10000)
    attendees = forms.CharField(label=_("参会人员"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    minutes = forms.CharField(label=_("会议纪要"), widget=forms.Textarea(attrs={"rows": 3}), max_length=10000)


class CloseForm(forms.Form):
    reason = REASON


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("重新开启原因"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("例如：审议发现评分依据有误，需更正后重新结束"),
    )


class ScoreForm(forms.Form):
    """The ticked items arrive as ``item`` values, counts as ``count-<id>``, bases as ``basis-<id>``."""

    note = forms.CharField(label=_("备注"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    photo = forms.FileField(label=_("佐证照片"), required=False)


class SchemeCreateForm(forms.Form):
    code = forms.SlugField(label=_("方案代码"), max_length=40, help_text=_("英文字母、数字和连字符"))
    name = forms.CharField(label=_("方案名称"), max_length=64)
    description = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    reason = REASON


class VersionSettingsForm(forms.Form):
    base_per_dimension = forms.DecimalField(label=_("每个维度基础分"), min_value=0, max_digits=6, decimal_places=2)
    dimension_floor = forms.DecimalField(label=_("维度最低分"), min_value=0, max_digits=6, decimal_places=2)
    bonus_cap = forms.DecimalField(
        label=_("加分上限（全表）"), min_value=0, required=False, max_digits=6, decimal_places=2
    )
    reason = REASON


class SchemeImportForm(VersionSettingsForm):
    code = forms.SlugField(label=_("方案代码"), max_length=40)
    name = forms.CharField(label=_("方案名称"), max_length=64, required=False)
    file = forms.FileField(label=_("Excel文件（.xlsx）"))


class ReasonForm(forms.Form):
    reason = REASON
