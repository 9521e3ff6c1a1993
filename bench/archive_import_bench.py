"""Throughput and memory of the paper files' register import (check + import, one transaction).

    .venv/bin/python bench/archive_import_bench.py [ROWS ...]   # default: 10000 50000

A register as an office keeps it: each file of an owner found by name and mobile (through the
blind index), its place in one cell, its state, check date and notes. The owners are put in
first (by the owner import, untimed). Each size runs in a fresh subprocess on a new SQLite
file migrated like `flask db upgrade`, so peak memory (ru_maxrss) belongs to that size alone;
with BENCH_DATABASE_URL (an empty PostgreSQL database) it runs there instead, its schema
dropped after each size (bench/import_timing.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import import_timing  # noqa: E402 (after the path is set)

HEADERS = ["档案编号", "档案名称", "客户姓名", "手机", "存放位置", "状态", "核查日期", "备注"]


def file_rows(rows: int):
    for n in range(rows):
        yield [f"DA-{n:07d}", f"购房合同{n}", f"业主{n}", f"139{n:08d}",
               f"一号档案室/{n % 40}柜/{n % 6}层/{n // 50}盒", "在库", "2026/3/1", "原件"]  # fmt: skip


def one_size(rows: int) -> None:
    from extensions import db
    from services.shared import import_kinds, importer
    from tests.importing import write_xlsx

    assert "archive_file" in import_kinds.KINDS
    folder = import_timing.bench_folder()
    path = folder / "files.xlsx"
    write_xlsx(path, file_rows(rows), headers=HEADERS)
    owners = folder / "owners.xlsx"
    write_xlsx(
        owners,
        ([f"业主{n}", f"139{n:08d}"] for n in range(rows)),
        headers=["姓名", "手机"],
    )
    with import_timing.bench_app(folder):
        user = import_timing.bench_user("custodian")
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
        timing = import_timing.timed_import(rows, path, HEADERS, "archive_file", user, basis)
    report, outcome = timing.report, timing.outcome
    assert report.valid == rows and outcome.inserted == rows, (report.valid, outcome)
    print(timing.line("archive_file"))


if __name__ == "__main__":
    import_timing.main(__file__, __doc__, one_size)
