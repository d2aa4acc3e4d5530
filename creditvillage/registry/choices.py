from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    DOOR_TO_DOOR = "door_to_door", _("入户采集")
    EXCEL_IMPORT = "excel_import", _("Excel导入")
    SELF_DECLARED = "self_declared", _("农户自主申报")
    DEPARTMENT = "department", _("部门数据")
    BANK_FEED = "bank_feed", _("银行数据")
    SYSTEM = "system", _("系统生成")


class ArchiveStatus(models.TextChoices):
    COLLECTING = "collecting", _("采集中")
    ARCHIVED = "archived", _("已建档")
    VERIFIED = "verified", _("已校核")


class Relation(models.TextChoices):
    HEAD = "head", _("户主")
    SPOUSE = "spouse", _("配偶")
    CHILD = "child", _("子女")
    PARENT = "parent", _("父母")
    GRANDCHILD = "grandchild", _("孙子女")
    SIBLING = "sibling", _("兄弟姐妹")
    CHILD_IN_LAW = "child_in_law", _("儿媳/女婿")
    OTHER = "other", _("其他")


class Sex(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class PoliticalStatus(models.TextChoices):
    PARTY_MEMBER = "party_member", _("中共党员")
    PROBATIONARY = "probationary", _("中共预备党员")
    ACTIVIST = "activist", _("入党积极分子")
    LEAGUE_MEMBER = "league_member", _("共青团员")
    MASSES = "masses", _("群众")


class Education(models.TextChoices):
    NONE = "none", _("未上学")
    PRIMARY = "primary", _("小学")
    JUNIOR = "junior", _("初中")
    SENIOR = "senior", _("高中/中专")
    COLLEGE = "college", _("大专")
    BACHELOR = "bachelor", _("本科及以上")


class Health(models.TextChoices):
    HEALTHY = "healthy", _("健康")
    CHRONIC = "chronic", _("慢性病")
    SERIOUS = "serious", _("大病")
    DISABLED = "disabled", _("残疾")


class AssetKind(models.TextChoices):
    CONTRACTED_LAND = "contracted_land", _("承包土地")
    TRANSFERRED_LAND = "transferred_land", _("流转土地")
    HOUSING = "housing", _("住房")
    VEHICLE = "vehicle", _("车辆")
    MACHINERY = "machinery", _("农机具")
    LIVESTOCK = "livestock", _("畜禽")
    DEPOSIT = "deposit", _("存款")
    OTHER = "other", _("其他")


class IncomeSource(models.TextChoices):
    PLANTING = "planting", _("种植")
    BREEDING = "breeding", _("养殖")
    WAGES = "wages", _("务工")
    BUSINESS = "business", _("经营")
    TRANSFER = "transfer", _("转移性收入")
    PROPERTY = "property", _("财产性收入")


class DebtKind(models.TextChoices):
    BANK_LOAN = "bank_loan", _("银行贷款")
    PRIVATE = "private", _("民间借贷")
    OTHER = "other", _("其他")


class InsuranceKind(models.TextChoices):
    MEDICAL = "medical", _("城乡居民医保")
    PENSION = "pension", _("城乡居民养老保险")
    AGRICULTURE = "agriculture", _("农业保险")
    COMMERCIAL = "commercial", _("商业保险")


class EntityKind(models.TextChoices):
    FAMILY_FARM = "family_farm", _("家庭农场")
    COOPERATIVE = "cooperative", _("农民专业合作社")
    ENTERPRISE = "enterprise", _("农业企业")
    LARGE_GROWER = "large_grower", _("种养大户")
