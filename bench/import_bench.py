"""Throughput and memory of the Excel import (check pass + import pass, one transaction).

    .venv/bin/python bench/import_bench.py [ROWS ...]      # default: 10000 50000

Each size runs in a fresh subprocess on a new SQLite file migrated like `flask db upgrade`,
so peak memory (ru_maxrss) belongs to that size alone. Figures: docs/import.md.
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


def one_size(rows: int) -> None:
    import flask_migrate

    from app import create_app
    from core.crypto import generate_instance_keys
    from extensions import db
    from models.admin.people import User
    from services.admin.accounts import create_user
    from services.sales import importer
    from tests.importing import HEADERS, write_xlsx

    folder = Path(tempfile.mkdtemp())
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}",
            "SECRET_KEY": "bench",
            "AUDIT_HMAC_KEY": "bench-audit-key-0123456789",
            **generate_instance_keys(),
        }
    )
    path = folder / "cards.xlsx"
    write_xlsx(
        path,
        ([f"客户{n}", f"139{n:08d}", "B", "来访", "2026-03-01", "备注"] for n in range(rows)),
        headers=HEADERS,
    )
    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        from services.admin.standard_data import install_standard_data

        install_standard_data(db.session)
        user = create_user(
            db.session,
            username="bench",
            full_name="bench",
            role_code="clerk",
            password="bench-password-123",  # noqa: S106 (a throw-away bench account)
        )
        db.session.commit()
        user = db.session.get(User, user.id)
        mapping = importer.guess_mapping(HEADERS)
        started = time.perf_counter()
        report = importer.check_file(db.session, path, mapping)
        checked = time.perf_counter()
        outcome = importer.import_file(
            db.session,
            user,
            path,
            mapping,
            skip_rejected=False,
            consent=importer.ConsentBasis("consent", "bench", "bench"),
        )
        db.session.commit()
        done = time.perf_counter()
    assert report.valid == rows and outcome.inserted == rows, (report.valid, outcome)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    total = done - started
    print(
        f"{rows:>7} rows  check {rows / (checked - started):>8,.0f} rows/s  "
        f"import {rows / (done - checked):>8,.0f} rows/s  "
        f"both {rows / total:>8,.0f} rows/s  peak RSS {peak_mb:,.0f} MB"
    )


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        one_size(int(sys.argv[2]))
        return
    sizes = [int(a) for a in sys.argv[1:]] or [10_000, 50_000]
    for rows in sizes:
        subprocess.run([sys.executable, __file__, "--one", str(rows)], check=True)  # noqa: S603


if __name__ == "__main__":
    main()
