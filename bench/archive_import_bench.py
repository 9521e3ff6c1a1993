"""Throughput and memory of the paper files' register import (check + import, one transaction).

    .venv/bin/python bench/archive_import_bench.py [ROWS ...]   # default: 10000 50000

A register as an office keeps it: each file of an owner found by name and mobile (through the
blind index), its place in one cell, its state, check date and notes. The owners are put in
first (by the owner import, untimed). Each size runs in a fresh subprocess on a new SQLite
file migrated like `flask db upgrade`, so peak memory (ru_maxrss) belongs to that size alone;
with BENCH_DATABASE_URL (an empty PostgreSQL database) it runs there instead, its schema
dropped after each size.
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

HEADERS = ["档案编号", "档案名称", "客户姓名", "手机", "存放位置", "状态", "核查日期", "备注"]


def file_rows(rows: int):
    for n in range(rows):
        yield [f"DA-{n:07d}", f"购房合同{n}", f"业主{n}", f"139{n:08d}",
               f"一号档案室/{n % 40}柜/{n % 6}层/{n // 50}盒", "在库", "2026/3/1", "原件"]  # fmt: skip


def one_size(rows: int) -> None:
    import os

    import flask_migrate
    from sqlalchemy import text

    from app import create_app
    from core.crypto import generate_instance_keys
    from extensions import db
    from models.admin.people import User
    from services.admin.accounts import create_user
    from services.shared import import_kinds, importer
    from tests.importing import write_xlsx

    assert "archive_file" in import_kinds.KINDS
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
    path = folder / "files.xlsx"
    write_xlsx(path, file_rows(rows), headers=HEADERS)
    owners = folder / "owners.xlsx"
    write_xlsx(
        owners,
        ([f"业主{n}", f"139{n:08d}"] for n in range(rows)),
        headers=["姓名", "手机"],
    )
    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        from services.admin.standard_data import install_standard_data

        install_standard_data(db.session)
        user = create_user(
            db.session,
            username="bench",
            full_name="bench",
            role_code="custodian",
            password="bench-password-123",  # noqa: S106 (a throw-away bench account)
        )
        db.session.commit()
        user = db.session.get(User, user.id)
        basis = importer.ConsentBasis("contract", "bench", "bench")
        importer.import_file(
            db.session,
            user,
            owners,
            importer.guess_mapping(["姓名", "手机"], "owner"),
            skip_rejected=False,
            kind="owner",
            consent=basis,
        )
        db.session.commit()
        mapping = importer.guess_mapping(HEADERS, "archive_file")
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started, cpu_started = time.perf_counter(), time.process_time()
        report = importer.check_file(db.session, path, mapping, kind="archive_file", user=user)
        checked = time.perf_counter()
        outcome = importer.import_file(
            db.session,
            user,
            path,
            mapping,
            skip_rejected=False,
            kind="archive_file",
            consent=basis,
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
        f"  archive_file {rows:>7} rows  check {rows / (checked - started):>8,.0f} rows/s  "
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
