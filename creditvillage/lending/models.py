"""Banks and households' consents. Credit products, grants and loans arrive with the lending issue."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from creditvillage.core.scope import ScopedManager, ScopedModel

__all__ = ["Bank", "Consent"]


class Bank(models.Model):
    """A financial institution (金融机构) and the regions it serves."""

    code = models.CharField(_("机构代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=32)
    regions = models.ManyToManyField("regions.Region", verbose_name=_("服务区域"), related_name="banks")

    class Meta:
        verbose_name = _("金融机构")
        verbose_name_plural = _("金融机构")

    def __str__(self) -> str:
        return self.short_name or self.name


class Consent(ScopedModel):
    """A household's separate, revocable consent (授权) for a named bank to read its rating and archive."""

    household = models.ForeignKey(
        "registry.Household", verbose_name=_("农户"), on_delete=models.CASCADE, related_name="consents"
    )
    bank = models.ForeignKey(Bank, verbose_name=_("金融机构"), on_delete=models.PROTECT, related_name="consents")
    purpose = models.CharField(_("用途"), max_length=100, default="信用评定结果查询与授信审批")
    granted_at = models.DateTimeField(_("授权时间"))
    revoked_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    scope_region_field = "household__region_id"
    scope_household_field = "household_id"
    objects = ScopedManager()

    class Meta:
        verbose_name = _("授权")
        verbose_name_plural = _("授权")
        constraints = [
            models.UniqueConstraint(
                fields=["household", "bank"], condition=Q(revoked_at__isnull=True), name="one_active_consent"
            )
        ]

    def __str__(self) -> str:
        return f"{self.household_id} → {self.bank_id}"

    @classmethod
    def scope_bank_q(cls, bank_id: int) -> Q | None:
        return Q(bank_id=bank_id)
