"""The division tree (行政区划), villager groups, grids and party organisations."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from creditvillage.core.scope import ScopedManager, ScopedModel, significant_prefix
from creditvillage.regions.choices import LEVEL_DEPTH, PartyOrgKind, RegionLevel

__all__ = ["Grid", "PartyOrganisation", "Region", "VillagerGroup"]


class Region(ScopedModel):
    """A node of the division tree, keyed by its 12-digit statistical division code (统计用区划代码)."""

    scope_region_field = "code"
    scope_open_to_banks = True
    scope_open_to_merchants = True

    code = models.CharField(_("区划代码"), max_length=12, primary_key=True)
    name = models.CharField(_("名称"), max_length=64)
    level = models.CharField(_("层级"), max_length=16, choices=RegionLevel.choices, db_index=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    is_illustrative = models.BooleanField(
        _("示意代码"), default=False, help_text=_("代码为演示用，在正确的码段内，但不是官方公布的代码")
    )
    households_total = models.PositiveIntegerField(_("户籍户数"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]
        indexes = [models.Index(fields=["parent", "code"])]

    def __str__(self) -> str:
        return self.name

    @property
    def prefix(self) -> str:
        return significant_prefix(self.code)

    @property
    def depth(self) -> int:
        return LEVEL_DEPTH[RegionLevel(self.level)]

    def ancestors(self) -> list[Region]:
        """From the province down to the parent, in one query."""
        codes = [self.code[:d].ljust(12, "0") for d in (2, 4, 6, 9) if d < self.depth]
        by_code = Region.objects.in_bulk(codes)
        return [by_code[c] for c in codes if c in by_code]

    @property
    def full_name(self) -> str:
        return "".join(r.name for r in [*self.ancestors(), self])


class VillagerGroup(ScopedModel):
    """A villager group (村民小组) under a village."""

    village = models.ForeignKey(Region, verbose_name=_("村"), on_delete=models.PROTECT, related_name="groups")
    name = models.CharField(_("名称"), max_length=64)
    number = models.PositiveSmallIntegerField(_("序号"))

    scope_region_field = "village_id"
    objects = ScopedManager()

    class Meta:
        verbose_name = _("村民小组")
        verbose_name_plural = _("村民小组")
        ordering = ["village", "number"]
        constraints = [models.UniqueConstraint(fields=["village", "number"], name="uniq_group_number")]

    def __str__(self) -> str:
        return self.name


class Grid(ScopedModel):
    """A grid (网格) under a village, with its grid workers and grid party group."""

    village = models.ForeignKey(Region, verbose_name=_("村"), on_delete=models.PROTECT, related_name="grids")
    name = models.CharField(_("名称"), max_length=64)
    number = models.PositiveSmallIntegerField(_("序号"))
    leader_name = models.CharField(_("网格长"), max_length=32, blank=True)

    scope_region_field = "village_id"
    objects = ScopedManager()

    class Meta:
        verbose_name = _("网格")
        verbose_name_plural = _("网格")
        ordering = ["village", "number"]
        constraints = [models.UniqueConstraint(fields=["village", "number"], name="uniq_grid_number")]

    def __str__(self) -> str:
        return self.name


class PartyOrganisation(ScopedModel):
    """A party organisation (党组织) bound to a region: township committee, village branch, grid group."""

    region = models.ForeignKey(Region, verbose_name=_("所在区划"), on_delete=models.PROTECT, related_name="party_orgs")
    grid = models.ForeignKey(Grid, verbose_name=_("网格"), null=True, blank=True, on_delete=models.PROTECT)
    kind = models.CharField(_("类型"), max_length=32, choices=PartyOrgKind.choices)
    name = models.CharField(_("名称"), max_length=100)
    secretary_name = models.CharField(_("书记/组长"), max_length=32, blank=True)
    member_count = models.PositiveIntegerField(_("党员人数"), default=0)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("党组织")
        verbose_name_plural = _("党组织")
        ordering = ["region", "kind", "name"]

    def __str__(self) -> str:
        return self.name
