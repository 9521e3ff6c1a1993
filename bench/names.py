"""Customer names for the benches, as Chinese offices meet them.

The import benches once named their customers 客户0 … 客户99999: seven characters with digits,
24 name-search tokens each, where a real 2-4 character name has about ten (bench/
name_tokens_bench.py). ``BENCH_NAMES=numbered`` still gives those, to compare with figures
measured with them (docs/import.md).
"""

from __future__ import annotations

import os
import random

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾"
    "毛郝龚邵万钱严覃武戴莫孔向汤单"
) + ["欧阳", "司马", "诸葛", "上官", "东方"]
GIVEN = list(
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂建国华文红玉兵辉鹏志飞宇浩然子轩梓涵欣怡"
    "一诺雨泽俊博嘉晨思瑶佳琪梦婷雪慧颖晓东海波峰亮斌龙云凤春梅林鑫"
)


def real_names(count: int) -> list[str]:
    """Names as Chinese offices meet them: a surname (a few compound, a few double-barrelled)
    and one or two given-name characters; the same list on every run."""
    rng = random.Random(1)
    names = []
    for _ in range(count):
        surname = rng.choice(SURNAMES)
        if rng.random() >= 0.97:
            surname = rng.choice(SURNAMES[:5]) + surname
        given = "".join(rng.choice(GIVEN) for _ in range(1 if rng.random() < 0.35 else 2))
        names.append(surname + given)
    return names


def bench_names(count: int, prefix: str = "客户") -> list[str]:
    """The names an import bench gives its ``count`` rows: real ones, or ``prefix`` and the
    row's number with ``BENCH_NAMES=numbered``."""
    if os.environ.get("BENCH_NAMES") == "numbered":
        return [f"{prefix}{n}" for n in range(count)]
    return real_names(count)
