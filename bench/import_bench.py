"""Throughput and memory of the Excel import (check pass + import pass, one transaction).

    .venv/bin/python bench/import_bench.py [--kind KIND] [ROWS ...]   # default: 10000 50000

KIND: ``prospect`` (default: welcome cards, the basic columns), ``card`` (every column of the
card, a second visit as a column and every tenth row a later visit of the row above), ``unit``
(a unit list, a row per person: an owner and two household members per unit, the unit's
columns filled down) or ``all``. Customers have real 2-4 character names (bench/names.py;
``BENCH_NAMES=numbered``: 客户0, 客户1 … as before 2026-12-07). Each size runs in a fresh subprocess on a new SQLite file
migrated like `flask db upgrade`, so peak memory (ru_maxrss) belongs to that size alone; with
BENCH_DATABASE_URL (an empty PostgreSQL database) it runs there instead, its schema dropped
after each size (bench/import_timing.py). Figures: docs/import.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import import_timing  # noqa: E402 (after the path is set)
from bench.names import bench_names  # noqa: E402

CARD_HEADERS = ["客户姓名", "手机", "等级", "来源", "预算（万元）", "购房用途", "单位性质", "年龄段",
                "意向面积", "可接受单价", "家庭月收入", "客户类型", "需求类型", "意向区域", "进度",
                "踩盘", "来访日期", "第二次来访", "备注"]  # fmt: skip
UNIT_HEADERS = ["项目", "楼栋", "房号", "楼层", "面积", "姓名", "与业主关系", "手机", "入住日期"]


def card_rows(rows: int):
    names = bench_names(rows)
    for n in range(rows):
        if n % 10 == 9:  # a later visit of the customer of the row above
            m = n - 1
            yield [names[m], f"139{m:08d}", "A", "来访", None, None, None, None, None, None,
                   None, None, None, None, "已看房", None, "2026-03-20", None, "复访"]  # fmt: skip
            continue
        yield [names[n], f"139{n:08d}", "B", "来访", "150万", "自住", "企业", "25–35岁",
               "100~120平米", "3000-3500", "5–10万", "个人", "改善", "新区", "待跟进", "否",
               "2026-03-01", "2026-03-08", "备注"]  # fmt: skip


def unit_rows(rows: int):
    names = bench_names(rows, prefix="成员")
    for n in range(rows):
        unit, person = divmod(n, 3)
        if person == 0:
            yield ["湖畔", f"{unit // 1000}栋", f"{unit % 1000}", 5, "98.5㎡", names[n],
                   "本人", f"139{n:08d}", "2025-05-01"]  # fmt: skip
        else:
            yield [None, None, None, None, None, names[n], "配偶" if person == 1 else "子女",
                   None, None]  # fmt: skip


def one_size(rows: int, kind: str = "prospect") -> None:
    from sqlalchemy import select

    from extensions import db
    from models.admin.reference import ReferenceItem, ReferenceList
    from services.shared import importer
    from tests.importing import HEADERS, write_xlsx

    folder = import_timing.bench_folder()
    path = folder / "cards.xlsx"
    if kind == "card":
        headers, expected = CARD_HEADERS, rows - rows // 10
        write_xlsx(path, card_rows(rows), headers=headers)
    elif kind == "unit":
        headers, expected = UNIT_HEADERS, (rows + 2) // 3
        write_xlsx(path, unit_rows(rows), headers=headers)
    else:
        headers, expected = HEADERS, rows
        names = bench_names(rows)
        write_xlsx(
            path,
            ([names[n], f"139{n:08d}", "B", "来访", "2026-03-01", "备注"] for n in range(rows)),
            headers=headers,
        )
    import_kind = "prospect" if kind == "card" else kind
    with import_timing.bench_app(folder):
        projects = db.session.scalar(select(ReferenceList).where(ReferenceList.code == "project"))
        projects.items.append(ReferenceItem(code="lakeside", label="湖畔", sort_order=10))
        user = import_timing.bench_user("clerk")
        timing = import_timing.timed_import(
            rows,
            path,
            headers,
            import_kind,
            user,
            importer.ConsentBasis("consent", "bench", "bench"),
        )
    report, outcome = timing.report, timing.outcome
    assert report.valid == rows and outcome.inserted == expected, (report.valid, outcome)
    print(timing.line(kind))


def kinds(chosen: str | None) -> list[str]:
    if chosen is None:
        return ["prospect"]
    return ["prospect", "card", "unit"] if chosen == "all" else [chosen]


if __name__ == "__main__":
    import_timing.main(__file__, __doc__, one_size, kinds)
