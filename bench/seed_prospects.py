"""Time ``seed_demo`` with N prospects into a fresh database.

    .venv/bin/python bench/seed_prospects.py [N] [--pg URL] [--skip-sqlite] [--profile FILE]

SQLite: a new file in a temporary directory, schema applied by the migrations (what
``flask db upgrade`` does). PostgreSQL (``--pg``): a scratch database whose ``public`` schema
is dropped and created again before and after the run; one that holds accounts is refused.
Results and figures: docs/demo-data.md.
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask_migrate  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402

from app import create_app  # noqa: E402
from core.crypto import generate_instance_keys  # noqa: E402
from demo.seed import seed_demo  # noqa: E402
from extensions import db  # noqa: E402
from models.sales.prospects import Prospect, Visit  # noqa: E402


def _empty_postgres(url: str, *, refuse_accounts: bool) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        has_users = conn.execute(text("SELECT to_regclass('public.users')")).scalar()
        if refuse_accounts and has_users and conn.execute(text("SELECT 1 FROM users")).first():
            raise SystemExit(f"{engine.url.database} holds accounts: give a scratch database")
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def run(url: str, count: int, workdir: Path, profile: str | None) -> float:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "AUDIT_HMAC_KEY": "bench-audit-key-0123456789",
            **generate_instance_keys(),
        }
    )
    with app.app_context():
        # Alembic's env.py sets up logging at INFO; the bench prints its own lines.
        flask_migrate.upgrade()
        logging.getLogger("alembic").setLevel(logging.WARNING)
        profiler = cProfile.Profile() if profile else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        seed_demo(db.session, prospect_count=count, accounts_file=str(workdir / "accounts.txt"))
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - started
        prospects = db.session.scalar(select(func.count()).select_from(Prospect))
        visits = db.session.scalar(select(func.count()).select_from(Visit))
        db.session.remove()
        db.engine.dispose()
    if profiler:
        profiler.dump_stats(profile)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
    dialect = url.split(":", 1)[0]
    print(
        f"{dialect}: {prospects:,} prospects, {visits:,} visits in {seconds:.1f} s "
        f"({prospects / seconds:,.0f} prospects/s)"
    )
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--pg", metavar="URL", help="also run on this PostgreSQL database")
    parser.add_argument("--profile", metavar="FILE", help="write cProfile stats (FILE, FILE.pg)")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="seed-bench-") as tmp:
        workdir = Path(tmp)
        if not args.skip_sqlite:
            url = "sqlite:///" + str(workdir / "bench.db")
            run(url, args.count, workdir, args.profile)
        if args.pg:
            _empty_postgres(args.pg, refuse_accounts=True)
            try:
                run(args.pg, args.count, workdir, args.profile and args.profile + ".pg")
            finally:
                # Left empty, so the next run's check for accounts does not refuse it.
                _empty_postgres(args.pg, refuse_accounts=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
