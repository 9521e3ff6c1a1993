"""Throughput and memory of the Excel import (check pass + import pass, one transaction).

    .venv/bin/python bench/import_bench.py [--kind KIND] [ROWS ...]   # default: 10000 50000

KIND: ``prospect`` (default: welcome cards, the basic columns), ``card`` (every column of the
card, a second visit as a column and every tenth row a later visit of the row above), ``unit``
(a unit list, a row per person: an owner and two household members per unit, the unit's
columns filled down) or ``all``. Each size runs in a fresh subprocess on a new SQLite file
migrated like `flask db upgrade`, so peak memory (ru_maxrss) belongs to that size alone; with
BENCH_DATABASE_URL (an empty PostgreSQL database) it runs there instead, its schema dropped
after each size. Figures: docs/import.md.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


CARD_HEADERS = ["客户姓名", "手机", "等级", "来源", "预算（万元）", "购房用途", "单位性质", "年龄段",
                "意向面积", "可接受单价", "家庭月收入", "客户类型", "需求类型", "意向区域", "进度",
                "踩盘", "来访日期", "第二次来访", "备注"]  # fmt: skip
UNIT_HEADERS = ["项目", "楼栋", "房号", "楼层", "面积", "姓名", "与业主关系", "手机", "入住日期"]


def card_rows(rows: int):
    for n in range(rows):
        if n % 10 == 9:  # a later visit of the customer of the row above
            m = n - 1
            yield [f"客户{m}", f"139{m:08d}", "A", "来访", None, None, None, None, None, None,
                   None, None, None, None, "已看房", None, "2026-03-20", None, "复访"]  # fmt: skip
            continue
        yield [f"客户{n}", f"139{n:08d}", "B", "来访", "150万", "自住", "企业", "25–35岁",
               "100~120平米", "3000-3500", "5–10万", "个人", "改善", "新区", "待跟进", "否",
               "2026-03-01", "2026-03-08", "备注"]  # fmt: skip


def unit_rows(rows: int):
    for n in range(rows):
        unit, person = divmod(n, 3)
        if person == 0:
            yield ["湖畔", f"{unit // 1000}栋", f"{unit % 1000}", 5, "98.5㎡", f"业主{unit}",
                   "本人", f"139{n:08d}", "2025-05-01"]  # fmt: skip
        else:
            yield [None, None, None, None, None, f"成员{n}", "配偶" if person == 1 else "子女",
                   None, None]  # fmt: skip


def one_size(rows: int, kind: str = "prospect") -> None:
    import os

    import flask_migrate
    from sqlalchemy import select, text

    from app import create_app
    from core.crypto import generate_instance_keys
    from extensions import db
    from models.admin.people import User
    from services.admin.accounts import create_user
    from services.shared import importer
    from tests.importing import HEADERS, write_xlsx

    folder = Path(tempfile.mkdtemp())
    database = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder / 'bench.db'}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database,
            "SECRET_KEY": "bench",
            "AUDIT_HMAC_KEY": "bench-audit-key-0123456789",
            **generate_instance_keys(),
        }
    )
    path = folder / "cards.xlsx"
    if kind == "card":
        headers, expected = CARD_HEADERS, rows - rows // 10
        write_xlsx(path, card_rows(rows), headers=headers)
    elif kind == "unit":
        headers, expected = UNIT_HEADERS, (rows + 2) // 3
        write_xlsx(path, unit_rows(rows), headers=headers)
    else:
        headers, expected = HEADERS, rows
        write_xlsx(
            path,
            ([f"客户{n}", f"139{n:08d}", "B", "来访", "2026-03-01", "备注"] for n in range(rows)),
            headers=headers,
        )
    import_kind = "prospect" if kind == "card" else kind
    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        from services.admin.standard_data import install_standard_data

        install_standard_data(db.session)
        from models.admin.reference import ReferenceItem, ReferenceList

        projects = db.session.scalar(select(ReferenceList).where(ReferenceList.code == "project"))
        projects.items.append(ReferenceItem(code="lakeside", label="湖畔", sort_order=10))
        user = create_user(
            db.session,
            username="bench",
            full_name="bench",
            role_code="clerk",
            password="bench-password-123",  # noqa: S106 (a throw-away bench account)
        )
        db.session.commit()
        user = db.session.get(User, user.id)
        mapping = importer.guess_mapping(headers, import_kind)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started, cpu_started = time.perf_counter(), time.process_time()
        report = importer.check_file(db.session, path, mapping, kind=import_kind, user=user)
        checked = time.perf_counter()
        outcome = importer.import_file(
            db.session,
            user,
            path,
            mapping,
            skip_rejected=False,
            kind=import_kind,
            consent=importer.ConsentBasis("consent", "bench", "bench"),
        )
        db.session.commit()
        done, cpu_done = time.perf_counter(), time.process_time()
        if os.environ.get("BENCH_DATABASE_URL"):
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
    assert report.valid == rows and outcome.inserted == expected, (report.valid, outcome)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    total = done - started
    print(
        f"{kind:>8} {rows:>7} rows  check {rows / (checked - started):>8,.0f} rows/s  "
        f"import {rows / (done - checked):>8,.0f} rows/s  "
        f"both {rows / total:>8,.0f} rows/s  peak RSS {peak_mb:,.0f} MB "
        f"({rss_before:,.0f} MB before the check)  "
        f"(CPU: both {rows / (cpu_done - cpu_started):>8,.0f} rows/s)"
    )


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--one":
        one_size(int(sys.argv[2]), sys.argv[3])
        return
    args = sys.argv[1:]
    kinds = ["prospect"]
    if len(args) >= 2 and args[0] == "--kind":
        kinds = ["prospect", "card", "unit"] if args[1] == "all" else [args[1]]
        args = args[2:]
    sizes = [int(a) for a in args] or [10_000, 50_000]
    for kind in kinds:
        for rows in sizes:
            command = [sys.executable, __file__, "--one", str(rows), kind]
            subprocess.run(command, check=True)  # noqa: S603


if __name__ == "__main__":
    main()
