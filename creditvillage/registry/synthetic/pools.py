"""Value tables for synthetic archives: names, occupations, industries, assets, with weights.

Weights are plausible shares for rural Anhui, not statistics. A :class:`Pool` is drawn from
with a numpy ``Generator`` (many at once) or a ``random.Random`` (one at a time).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt


class Pool:
    """Items with weights: ``draw(rng, n)`` gives ``n`` items, ``pick(random)`` one."""

    def __init__(self, pairs: Sequence[tuple[str, float]]) -> None:
        self.items = np.array([item for item, _weight in pairs])
        weights = np.array([weight for _item, weight in pairs], dtype=float)
        self.p = weights / weights.sum()
        self._cum = np.cumsum(self.p)

    def index(self, rng: np.random.Generator, n: int) -> npt.NDArray[np.intp]:
        return np.minimum(np.searchsorted(self._cum, rng.random(n), side="right"), len(self.items) - 1)

    def draw(self, rng: np.random.Generator, n: int) -> npt.NDArray[np.str_]:
        return self.items[self.index(rng, n)]

    def pick(self, rng: random.Random) -> str:
        position = int(np.searchsorted(self._cum, rng.random(), side="right"))
        return str(self.items[min(position, len(self.items) - 1)])


def pairs(text: str) -> list[tuple[str, float]]:
    """``"王7.1 李7.0"`` → ``[("王", 7.1), ("李", 7.0)]``."""
    result = []
    for token in text.split():
        split = next(i for i, char in enumerate(token) if char.isdigit())
        result.append((token[:split], float(token[split:])))
    return result


# Share of the population in percent (national figures, rounded), plus names common in Anhui.
SURNAMES = Pool(
    pairs(
        "王7.1 李7.0 张6.7 刘5.4 陈4.5 杨3.1 黄2.2 赵2.0 吴2.0 周1.9 徐1.7 孙1.5 马1.4 朱1.3 胡1.3 "
        "郭1.1 何1.1 高1.0 林1.0 罗0.9 郑0.9 梁0.8 谢0.8 宋0.7 唐0.7 许0.6 韩0.6 冯0.6 邓0.6 曹0.6 "
        "彭0.5 曾0.5 肖0.5 田0.5 董0.5 袁0.5 潘0.4 于0.4 蒋0.4 蔡0.4 余0.4 杜0.4 叶0.4 程0.4 苏0.3 "
        "魏0.3 吕0.3 丁0.3 任0.3 沈0.3 姚0.3 卢0.3 姜0.3 崔0.3 钟0.3 汪0.4 范0.2 金0.2 石0.2 贾0.2 "
        "夏0.2 方0.3 邹0.2 孟0.2 熊0.2 秦0.2 江0.2 尹0.2 薛0.2 段0.2 雷0.2 侯0.2 史0.2 陶0.2 顾0.2 "
        "毛0.2 郝0.2 龚0.2 邵0.2 万0.2 钱0.2 严0.2 武0.2 戴0.2 孔0.1 汤0.1 储0.1 查0.1 鲍0.1 倪0.1"
    )
)
SURNAME_SET: Final = frozenset(str(name) for name in SURNAMES.items)

# Given-name characters by sex and birth era (older names 建国/秀英, younger 浩然/欣怡).
# Pool id = sex (0 male, 1 female) * 3 + era (0 born before 1968, 1 before 1995, 2 later).
GIVEN_NAME_CHARS: Final = (
    "建国明华军伟强平勇德忠福祥贵山林文志海宏春兵新民光荣永成生才东胜长友全金",
    "伟强磊军勇杰涛斌波辉刚峰超明亮俊飞鹏宇浩林龙平华健东晓志",
    "浩宇轩然睿泽子俊博文杰辰逸航昊哲凯瑞鑫涛阳晨嘉铭宸旭宁远",
    "秀英兰芳桂玉珍凤莲华云梅翠琴香花荣淑素美玲月霞菊萍",
    "丽娟敏静燕艳霞芳玲红梅琴婷颖慧洁雪莉倩娜晶琳萍春",
    "欣怡梓涵雨萱诗琪思语可馨佳悦一诺紫若彤瑶嘉依晴安宁",
)
ERA_BOUNDS: Final = (1968, 1995)  # birth years where the name era changes


def era_of(birth_year: int) -> int:
    return 0 if birth_year < ERA_BOUNDS[0] else (1 if birth_year < ERA_BOUNDS[1] else 2)


def person_name(rng: random.Random, surname: str, male: bool, birth_year: int) -> str:
    """One name: the surname plus one (about 1 in 10) or two given-name characters of the era."""
    chars = GIVEN_NAME_CHARS[(0 if male else 3) + era_of(birth_year)]
    given = rng.choice(chars) + ("" if rng.random() < 0.1 else rng.choice(chars))
    return surname + given


# Ranges libphonenumber lists as mobile (core.identifiers.validate_mobile accepts every one).
MOBILE_PREFIXES: Final = (
    130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 150, 151, 152, 153, 155, 156, 157, 158, 159,
    166, 173, 176, 177, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 191, 198, 199,
)  # fmt: skip

# Industry → (main business, income source, stem for entity names).
INDUSTRIES: Final[dict[str, tuple[str, str, str]]] = {
    "水稻种植": ("水稻种植", "planting", "粮食种植"),
    "小麦种植": ("小麦种植", "planting", "粮食种植"),
    "茶叶种植": ("茶叶种植加工", "planting", "茶叶"),
    "油茶种植": ("油茶种植", "planting", "油茶"),
    "蔬菜种植": ("蔬菜种植", "planting", "蔬菜"),
    "芡实种植": ("芡实种植", "planting", "芡实"),
    "中药材种植": ("中药材种植", "planting", "中药材"),
    "生猪养殖": ("生猪养殖", "breeding", "生猪养殖"),
    "肉牛养殖": ("肉牛养殖", "breeding", "肉牛养殖"),
    "家禽养殖": ("家禽养殖", "breeding", "家禽养殖"),
    "水产养殖": ("小龙虾、水产养殖", "breeding", "水产养殖"),
}
BUSINESS_KINDS: Final = ("小卖部经营", "农资销售", "餐饮经营", "农产品收购")
BRANDS: Final = "绿源 丰收 金穗 兴农 春晖 富民 惠农 众鑫 宏发 顺达 绿野 皖禾 山泉 福瑞".split()

HOUSEHOLD_SIZES = Pool([("1", 9), ("2", 21), ("3", 22), ("4", 21), ("5", 15), ("6", 8), ("7", 4)])
OCCUPATION_ADULT = Pool(pairs("务农35 外出务工33 本地务工10 个体经营7 企业职工5 家务4 村干部1 教师1 乡村医生1 运输3"))
OCCUPATION_SENIOR = Pool(pairs("务农55 无25 本地务工10 个体经营4 家务6"))
NON_EARNING: Final = ("学龄前", "学生", "无", "家务")
EDUCATION_BY_ERA: Final = (
    Pool(pairs("none20 primary45 junior28 senior6 college1")),
    Pool(pairs("none2 primary18 junior52 senior20 college6 bachelor2")),
    Pool(pairs("primary2 junior22 senior36 college22 bachelor18")),
)
HOUSING = Pool(pairs("砖混结构自建房70 钢混结构自建房20 砖木结构老宅8 商品房2"))
MACHINERY: Final = ("拖拉机", "旋耕机", "插秧机", "收割机")
# Large-scale livestock: (kind, unit, fewest, most, yuan per head).
LIVESTOCK: Final = (
    ("生猪", "头", 30, 600, 1500),
    ("肉牛", "头", 5, 60, 12000),
    ("家禽", "只", 500, 8000, 35),
    ("羊", "只", 20, 200, 900),
)
BANK_LENDERS = Pool(pairs("农村商业银行70 邮储银行15 农业银行10 村镇银行5"))
COMMERCIAL_INSURERS: Final = ("中国人寿", "中国平安", "太平洋保险")

PLACE_FIRST: Final = "东西南北新老大小上下前后龙凤马金石黄白青长高双三五桂兴永福安丰"
PLACE_SECOND: Final = "桥河湖塘岗庄店湾冲集山岩畈圩港林寺庙堰坝洼沟台营岭铺墩楼"


def place_names(rng: random.Random, count: int, suffix: str, taken: set[str]) -> list[str]:
    """``count`` distinct place names (``"龙岗" + suffix``) not in ``taken``; adds them to it."""
    stems = [a + b for a in PLACE_FIRST for b in PLACE_SECOND]
    rng.shuffle(stems)
    names: list[str] = []
    for round_number in range(1, count + 2):
        for stem in stems:
            if len(names) == count:
                return names
            name = f"{stem}{'' if round_number == 1 else round_number}{suffix}"
            if name not in taken:
                taken.add(name)
                names.append(name)
    return names
