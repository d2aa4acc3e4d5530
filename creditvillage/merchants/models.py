"""Merchants of the credit circle (信用商圈). Offers and coupons arrive with the incentives issue."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from creditvillage.core.scope import Grant, ScopedManager, ScopedModel

__all__ = ["Merchant"]


class Merchant(ScopedModel):
    region = models.ForeignKey("regions.Region", verbose_name=_("所在乡镇"), on_delete=models.PROTECT)
    name = models.CharField(_("名称"), max_length=100)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    category = models.CharField(_("行业"), max_length=32)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=32, blank=True)

    scope_open_to_merchants = True
    objects = ScopedManager()

    class Meta:
        verbose_name = _("商户")
        verbose_name_plural = _("商户")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_q(cls, grant: Grant) -> Q | None:
        q = super().scope_q(grant)
        if q is not None and grant.merchant_id is not None:
            q &= Q(pk=grant.merchant_id)
        return q
