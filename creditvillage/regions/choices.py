from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("省")
    CITY = "city", _("市")
    COUNTY = "county", _("县/区")
    TOWNSHIP = "township", _("乡/镇/街道")
    VILLAGE = "village", _("村/社区")


LEVEL_DEPTH = {
    RegionLevel.PROVINCE: 2,
    RegionLevel.CITY: 4,
    RegionLevel.COUNTY: 6,
    RegionLevel.TOWNSHIP: 9,
    RegionLevel.VILLAGE: 12,
}
LEVEL_BY_DEPTH = {depth: level for level, depth in LEVEL_DEPTH.items()}


class PartyOrgKind(models.TextChoices):
    TOWNSHIP_COMMITTEE = "township_committee", _("乡镇党委")
    GENERAL_BRANCH = "general_branch", _("村党总支")
    BRANCH = "branch", _("村党支部")
    GRID_GROUP = "grid_group", _("网格党小组")
