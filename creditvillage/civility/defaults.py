"""The shipped default checklist: the 8 dimensions of domain-reference §2.3 and the veto list of §2.4.

Base 3 points per dimension, a dimension never below 0, bonus at most +6 over the 24 base points
(so 0–30). Tianchang's "3+8+N" (66 items) and Tongcheng's "5 categories / 25 items" are named in
seeds 001 and 004 but their items are not published (domain-reference §2.2); an administrator
uploads them as xlsx when the client supplies them.

The data migration ``0002_default_scheme`` carries a frozen copy of these rows.
"""

from __future__ import annotations

from decimal import Decimal

DEFAULT_CODE = "default-8"
DEFAULT_NAME = "乡风文明评议八个维度（默认）"
DEFAULT_BASE = Decimal("3")
DEFAULT_FLOOR = Decimal("0")
DEFAULT_BONUS_CAP = Decimal("6")

# (dimension, kind, text, points, per_case, source)
DEFAULT_ROWS: list[tuple[str, str, str, str, bool, str]] = [
    ("遵纪守法", "positive", "被评为学法用法示范户", "1", False, ""),
    ("遵纪守法", "negative", "年内受到行政拘留或罚款", "3", False, ""),
    ("遵纪守法", "negative", "违法建设未整改", "2", False, ""),
    ("遵纪守法", "negative", "参与赌博被查处", "3", False, ""),
    ("家庭和谐", "positive", "获县级及以上“好媳妇、好婆婆、最美家庭”称号", "2", False, ""),
    ("家庭和谐", "positive", "获乡镇级“好媳妇、好婆婆、最美家庭”称号", "1", False, ""),
    ("家庭和谐", "negative", "经查实存在家庭暴力", "3", False, ""),
    ("家庭和谐", "negative", "不赡养老人", "3", False, ""),
    ("邻里友善", "positive", "调解邻里纠纷", "1", False, ""),
    ("邻里友善", "negative", "与邻里长期矛盾", "2", False, ""),
    ("关心集体", "positive", "参加村民会议和村级事务", "1", False, ""),
    ("关心集体", "negative", "阻挠公共项目建设", "3", False, ""),
    ("爱护环境", "positive", "获评“美丽庭院”", "1", False, ""),
    ("爱护环境", "negative", "乱扔垃圾或焚烧秸秆（每次）", "1", True, ""),
    ("爱护环境", "negative", "经通知后庭院仍脏乱", "1", False, ""),
    ("致富带富", "positive", "带动5户以上农户增收", "2", False, ""),
    ("热心公益", "positive", "年内志愿服务4次以上", "1", False, ""),
    ("热心公益", "positive", "捐款捐物", "1", False, ""),
    ("移风易俗", "positive", "婚事新办或丧事简办", "1", False, ""),
    ("移风易俗", "negative", "大操大办或高额彩礼", "2", False, ""),
    ("移风易俗", "negative", "参与封建迷信活动", "2", False, ""),
    ("", "veto", "被列为失信被执行人", "0", False, "法院失信被执行人名单"),
    ("", "veto", "被列入严重失信主体名单", "0", False, "信用中国"),
    ("", "veto", "刑事犯罪正在服刑或刑满未满3年，涉毒、涉赌、涉黑", "0", False, "司法记录"),
    ("", "veto", "组织或参与邪教活动", "0", False, "公安"),
    ("", "veto", "现有不良贷款、恶意逃废债或骗贷", "0", False, "银行数据"),
    ("", "veto", "经有关部门认定的缠访闹访", "0", False, "当地记录"),
    ("", "veto", "经法院或村认定严重不赡养老人、不抚养子女", "0", False, "法院或村记录"),
    ("", "veto", "信息采集中提供虚假信息", "0", False, "校核结果"),
]
