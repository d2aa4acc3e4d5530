"""Forms of the scoring pages: an indicator row (bins or categories as a small table of text), activation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from creditvillage.scoring.models import Closed, Indicator

REASON_HELP = _("写入审计日志：谁、何时、为何修改。")


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("变更原因"), max_length=500, help_text=REASON_HELP)


def _numbers(text: str, *, allow_empty: bool = False) -> list[Decimal]:
    parts = [p.strip() for p in text.replace("，", ",").split(",") if p.strip()]
    try:
        return [Decimal(p) for p in parts]
    except InvalidOperation as exc:
        raise forms.ValidationError(_("请输入用逗号分隔的数字")) from exc


class IndicatorForm(ReasonForm):
    """One indicator row. Bins are edited as two aligned lists: the upper bounds (all but the last
    bin) and the points of each bin; categories as lines ``value=points``."""

    name = forms.CharField(label=_("指标名称"), max_length=100)
    closed = forms.ChoiceField(label=_("区间端点"), choices=Closed.choices, required=False)
    uppers = forms.CharField(
        label=_("分段界限"), required=False, help_text=_("从小到大，用逗号分隔；最后一段不设上界。例：3, 5, 10, 20")
    )
    points = forms.CharField(label=_("各段得分"), required=False, help_text=_("比界限多一个。例：2, 4, 6, 8, 10"))
    categories = forms.CharField(
        label=_("分类得分"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("每行一项：取值=得分"),
    )
    scale = forms.DecimalField(label=_("系数"), required=False, max_digits=9, decimal_places=4)
    cap = forms.DecimalField(label=_("指标上限"), required=False, max_digits=7, decimal_places=2)
    missing_points = forms.DecimalField(label=_("缺失时得分"), max_digits=7, decimal_places=2)

    field_order = ["name", "closed", "uppers", "points", "categories", "scale", "cap", "missing_points", "reason"]

    def __init__(self, *args: Any, indicator: Indicator, **kwargs: Any) -> None:
        self.indicator = indicator
        initial = {
            "name": indicator.name,
            "closed": indicator.closed,
            "uppers": ", ".join(f"{b['upper']:g}" for b in indicator.bins[:-1]) if indicator.bins else "",
            "points": ", ".join(f"{b['points']:g}" for b in indicator.bins),
            "categories": "\n".join(f"{k}={v:g}" for k, v in (indicator.categories or {}).items()),
            "scale": indicator.scale,
            "cap": indicator.cap,
            "missing_points": indicator.missing_points,
        }
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        if indicator.kind != "bins":
            for name in ("closed", "uppers", "points"):
                del self.fields[name]
        if indicator.kind != "categories":
            del self.fields["categories"]
        if indicator.kind != "linear":
            del self.fields["scale"]

    def clean_categories(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for line in self.cleaned_data.get("categories", "").splitlines():
            if not line.strip():
                continue
            key, sep, value = line.partition("=")
            try:
                if not sep or not key.strip():
                    raise InvalidOperation
                out[key.strip()] = float(Decimal(value.strip()))
            except InvalidOperation as exc:
                raise forms.ValidationError(_("每行须为“取值=得分”")) from exc
        if not out:
            raise forms.ValidationError(_("至少需要一个分类"))
        return out

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.indicator.kind == "bins" and "uppers" in data and "points" in data:
            uppers = _numbers(data["uppers"] or "")
            points = _numbers(data["points"] or "")
            if len(points) != len(uppers) + 1:
                self.add_error("points", _("得分个数须比界限多一个"))
            elif any(b <= a for a, b in zip(uppers, uppers[1:], strict=False)):
                self.add_error("uppers", _("分段界限须严格递增（不得重叠）"))
            else:
                data["bins"] = [
                    {"upper": float(u) if i < len(uppers) else None, "points": float(p)}
                    for i, (u, p) in enumerate(zip([*uppers, Decimal(0)], points, strict=True))
                ]
        return data

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        changes: dict[str, Any] = {
            "name": data["name"],
            "missing_points": data["missing_points"],
            "cap": data.get("cap"),
        }
        if self.indicator.kind == "bins":
            changes["bins"] = data["bins"]
            changes["closed"] = data.get("closed") or self.indicator.closed
        elif self.indicator.kind == "categories":
            changes["categories"] = data["categories"]
        else:
            changes["scale"] = data.get("scale") or Decimal(1)
        ind = self.indicator
        return {k: v for k, v in changes.items() if getattr(ind, k) != v}


class ActivateForm(ReasonForm):
    effective_from = forms.DateField(
        label=_("生效日期"), widget=forms.DateInput(attrs={"type": "date"}), initial=dt.date(2026, 1, 1)
    )

    field_order = ["effective_from", "reason"]


class RunForm(forms.Form):
    region = forms.ChoiceField(label=_("区域"))
    model = forms.ChoiceField(label=_("评分模型"))

    def __init__(self, *args: Any, regions: list[Any], models: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["region"]).choices = [(r.code, f"{r.name}（{r.code}）") for r in regions]
        cast(forms.ChoiceField, self.fields["model"]).choices = [(m.code, f"{m.name}（{m.code}）") for m in models]


class SimulateForm(forms.Form):
    region = forms.ChoiceField(label=_("区域"))

    def __init__(self, *args: Any, regions: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["region"]).choices = [(r.code, f"{r.name}（{r.code}）") for r in regions]
