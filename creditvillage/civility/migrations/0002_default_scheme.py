"""Ship the 8-dimension default checklist (domain-reference §2.3, §2.4) as the active version 1.

A frozen copy of ``creditvillage.civility.defaults`` at the time of writing.
"""

from decimal import Decimal

from django.db import migrations

ROWS = [
    ('遵纪守法', 'positive', '被评为学法用法示范户', '1', False, ''),
    ('遵纪守法', 'negative', '年内受到行政拘留或罚款', '3', False, ''),
    ('遵纪守法', 'negative', '违法建设未整改', '2', False, ''),
    ('遵纪守法', 'negative', '参与赌博被查处', '3', False, ''),
    ('家庭和谐', 'positive', '获县级及以上“好媳妇、好婆婆、最美家庭”称号', '2', False, ''),
    ('家庭和谐', 'positive', '获乡镇级“好媳妇、好婆婆、最美家庭”称号', '1', False, ''),
    ('家庭和谐', 'negative', '经查实存在家庭暴力', '3', False, ''),
    ('家庭和谐', 'negative', '不赡养老人', '3', False, ''),
    ('邻里友善', 'positive', '调解邻里纠纷', '1', False, ''),
    ('邻里友善', 'negative', '与邻里长期矛盾', '2', False, ''),
    ('关心集体', 'positive', '参加村民会议和村级事务', '1', False, ''),
    ('关心集体', 'negative', '阻挠公共项目建设', '3', False, ''),
    ('爱护环境', 'positive', '获评“美丽庭院”', '1', False, ''),
    ('爱护环境', 'negative', '乱扔垃圾或焚烧秸秆（每次）', '1', True, ''),
    ('爱护环境', 'negative', '经通知后庭院仍脏乱', '1', False, ''),
    ('致富带富', 'positive', '带动5户以上农户增收', '2', False, ''),
    ('热心公益', 'positive', '年内志愿服务4次以上', '1', False, ''),
    ('热心公益', 'positive', '捐款捐物', '1', False, ''),
    ('移风易俗', 'positive', '婚事新办或丧事简办', '1', False, ''),
    ('移风易俗', 'negative', '大操大办或高额彩礼', '2', False, ''),
    ('移风易俗', 'negative', '参与封建迷信活动', '2', False, ''),
    ('', 'veto', '被列为失信被执行人', '0', False, '法院失信被执行人名单'),
    ('', 'veto', '被列入严重失信主体名单', '0', False, '信用中国'),
    ('', 'veto', '刑事犯罪正在服刑或刑满未满3年，涉毒、涉赌、涉黑', '0', False, '司法记录'),
    ('', 'veto', '组织或参与邪教活动', '0', False, '公安'),
    ('', 'veto', '现有不良贷款、恶意逃废债或骗贷', '0', False, '银行数据'),
    ('', 'veto', '经有关部门认定的缠访闹访', '0', False, '当地记录'),
    ('', 'veto', '经法院或村认定严重不赡养老人、不抚养子女', '0', False, '法院或村记录'),
    ('', 'veto', '信息采集中提供虚假信息', '0', False, '校核结果'),
]


def create(apps, schema_editor):
    Scheme = apps.get_model("civility", "CivilityScheme")
    Version = apps.get_model("civility", "SchemeVersion")
    Dimension = apps.get_model("civility", "SchemeDimension")
    Item = apps.get_model("civility", "SchemeItem")
    scheme = Scheme.objects.create(
        code="default-8",
        name="乡风文明评议八个维度（默认）",
        description="八个维度：遵纪守法、家庭和谐、邻里友善、关心集体、爱护环境、致富带富、热心公益、移风易俗；"
        "每个维度基础分3分，扣分不低于0分，加分合计不超过6分；另附一票否决清单。",
    )
    version = Version.objects.create(
        scheme=scheme,
        number=1,
        status="active",
        base_per_dimension=Decimal("3"),
        dimension_floor=Decimal("0"),
        bonus_cap=Decimal("6"),
        notes="domain-reference §2.3 / §2.4",
    )
    dimensions = {}
    for position, (dimension, kind, text, points, per_case, source) in enumerate(ROWS, start=1):
        if kind != "veto" and dimension not in dimensions:
            dimensions[dimension] = Dimension.objects.create(version=version, position=len(dimensions) + 1, name=dimension)
        Item.objects.create(
            version=version,
            dimension=dimensions.get(dimension) if kind != "veto" else None,
            position=position,
            kind=kind,
            text=text,
            points=Decimal(points),
            per_case=per_case,
            source=source,
        )


def remove(apps, schema_editor):
    Scheme = apps.get_model("civility", "CivilityScheme")
    Version = apps.get_model("civility", "SchemeVersion")
    for version in Version.objects.filter(scheme__code="default-8"):
        version.items.all().delete()
        version.dimensions.all().delete()
        version.delete()
    Scheme.objects.filter(code="default-8").delete()


class Migration(migrations.Migration):
    dependencies = [("civility", "0001_initial")]

    operations = [migrations.RunPython(create, remove)]
