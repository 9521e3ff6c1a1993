"""Throughput and memory of the dealer import (check pass + import pass, one transaction).

    .venv/bin/python bench/dealer_import_bench.py [ROWS ...]   # default: 10000 50000

A dealer list as a region manager keeps it: every column, half the rows signed dealers with
their data card, half potential dealers with their first file. Each size runs in a fresh
subprocess on a new SQLite file migrated like `flask db upgrade`, so peak memory (ru_maxrss)
belongs to that size alone; with BENCH_DATABASE_URL (an empty PostgreSQL database) it runs
there instead, its schema dropped after each size (bench/import_timing.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import import_timing  # noqa: E402 (after the path is set)


def dealer_rows(rows: int):
    for n in range(rows):
        base = [f"经销商{n}", "南区", None, f"联系人{n}", f"139{n:08d}", f"广州路{n}号"]
        if n % 2:
            yield [*base, "2026/3/2", "2026年3月4日", f"法人{n}", f"9144MA{n:010d}", "350万",
                   "12", "工商银行 6222", None, None, None]  # fmt: skip
        else:
            yield [*base, None, None, None, None, None, None, None, "2026-10-08", "愿意试销",
                   "再访"]  # fmt: skip


HEADERS = ["经销商名称", "区域", "状态", "联系人", "手机", "地址", "签约日期", "资料卡日期",
           "法定代表人", "营业执照号", "年销售额(万元)", "网点数", "开户行及账号", "建档日期",
           "合作意向", "下一步"]  # fmt: skip


def one_size(rows: int) -> None:
    from sqlalchemy import select

    from extensions import db
    from models.admin.reference import ReferenceItem, ReferenceList
    from services.shared import import_kinds, importer
    from tests.importing import write_xlsx

    assert "dealer" in import_kinds.KINDS
    folder = import_timing.bench_folder()
    path = folder / "dealers.xlsx"
    write_xlsx(path, dealer_rows(rows), headers=HEADERS)
    with import_timing.bench_app(folder):
        regions = db.session.scalar(select(ReferenceList).where(ReferenceList.code == "region"))
        south = ReferenceItem(code="bench_south", label="南区", sort_order=1)
        regions.items.append(south)
        db.session.flush()
        user = import_timing.bench_user("region_manager", region_id=south.id)
        timing = import_timing.timed_import(
            rows, path, HEADERS, "dealer", user, importer.ConsentBasis("contract", "bench", "bench")
        )
    report, outcome = timing.report, timing.outcome
    assert report.valid == rows and outcome.inserted == rows, (report.valid, outcome)
    print(timing.line("dealer"))


if __name__ == "__main__":
    import_timing.main(__file__, __doc__, one_size)
