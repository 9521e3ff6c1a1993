"""Throughput and memory of the dealer import (check pass + import pass, one transaction).

    .venv/bin/python bench/dealer_import_bench.py [ROWS ...]   # default: 10000 50000

A dealer list as a region manager keeps it: every column, half the rows signed dealers with
their data card, half potential dealers with their first file. Each size runs in a fresh
subprocess on a new SQLite file migrated like `flask db upgrade`, so peak memory (ru_maxrss)
belongs to that size alone; with BENCH_DATABASE_URL (an empty PostgreSQL database) it runs
there instead, its schema dropped after each size.
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
    import os

    import flask_migrate
    from sqlalchemy import select, text

    from app import create_app
    from core.crypto import generate_instance_keys
    from extensions import db
    from models.admin.people import User
    from models.admin.reference import ReferenceItem, ReferenceList
    from services.admin.accounts import create_user
    from services.shared import import_kinds, importer
    from tests.importing import write_xlsx

    assert "dealer" in import_kinds.KINDS
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
    path = folder / "dealers.xlsx"
    write_xlsx(path, dealer_rows(rows), headers=HEADERS)
    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        from services.admin.standard_data import install_standard_data

        install_standard_data(db.session)
        regions = db.session.scalar(select(ReferenceList).where(ReferenceList.code == "region"))
        south = ReferenceItem(code="bench_south", label="南区", sort_order=1)
        regions.items.append(south)
        db.session.flush()
        user = create_user(
            db.session,
            username="bench",
            full_name="bench",
            role_code="region_manager",
            password="bench-password-123",  # noqa: S106 (a throw-away bench account)
            region_id=south.id,
        )
        db.session.commit()
        user = db.session.get(User, user.id)
        mapping = importer.guess_mapping(HEADERS, "dealer")
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started, cpu_started = time.perf_counter(), time.process_time()
        report = importer.check_file(db.session, path, mapping, kind="dealer", user=user)
        checked = time.perf_counter()
        outcome = importer.import_file(
            db.session,
            user,
            path,
            mapping,
            skip_rejected=False,
            kind="dealer",
            consent=importer.ConsentBasis("contract", "bench", "bench"),
        )
        db.session.commit()
        done, cpu_done = time.perf_counter(), time.process_time()
        if os.environ.get("BENCH_DATABASE_URL"):
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
    assert report.valid == rows and outcome.inserted == rows, (report.valid, outcome)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    total = done - started
    print(
        f"  dealer {rows:>7} rows  check {rows / (checked - started):>8,.0f} rows/s  "
        f"import {rows / (done - checked):>8,.0f} rows/s  "
        f"both {rows / total:>8,.0f} rows/s  peak RSS {peak_mb:,.0f} MB "
        f"({rss_before:,.0f} MB before the check)  "
        f"(CPU: both {rows / (cpu_done - cpu_started):>8,.0f} rows/s)"
    )


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        one_size(int(sys.argv[2]))
        return
    sizes = [int(a) for a in sys.argv[1:]] or [10_000, 50_000]
    for rows in sizes:
        command = [sys.executable, __file__, "--one", str(rows)]
        subprocess.run(command, check=True)  # noqa: S603


if __name__ == "__main__":
    main()
