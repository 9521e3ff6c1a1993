"""Time the prospect list's CSV and XLSX exports: rows/s, first byte, peak memory of the process.

    .venv/bin/python bench/export_bench.py [N] [--db sqlite|postgresql|both] [--keep DIR]
        [--code after|before|slow] [--repeat R] [--pg-db NAME]

Seeds N cards (bench/seed_prospects.py's ``seed_demo``) into a scratch SQLite file and/or a
scratch PostgreSQL database (``createdb`` on 127.0.0.1, dropped afterwards unless ``--keep``),
then runs each export in a fresh child process through the Flask test client, so the peak
RSS (``resource.getrusage``) is the export's whole process and nothing of the seeding.

``--code`` picks the exporter: ``after`` (this checkout), ``before`` (views/shared/exports.py
as in git HEAD, loaded from ``git show``), ``slow`` (this checkout with the per-row path
forced). Several values (``--code before,after``) are measured in turns, interleaved, R times.
A script that prints figures, never a test. Results: docs/performance.md, "Exports at
database speed".
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import platform
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_HOST = "127.0.0.1"
EXPORT_URLS = {"csv": "/admin/prospect/export/csv/", "xlsx": "/admin/prospect/export/xlsx/"}


def _config(url: str, saved: dict, rows: int) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "bench",
        "AUDIT_HMAC_KEY": "bench-audit-key-0123456789",
        "WTF_CSRF_ENABLED": False,
        "EXPORT_MAX_ROWS": rows,
        **saved["keys"],
    }


def seed(url: str, count: int, workdir: Path, name: str) -> dict:
    import flask_migrate
    from sqlalchemy import text

    from app import create_app
    from core.clock import office_today
    from core.crypto import generate_instance_keys
    from demo.seed import seed_demo
    from extensions import db
    from services.admin.accounts import create_user
    from services.admin.staff import record_starting_clearance

    saved = {"keys": generate_instance_keys(), "password": secrets.token_urlsafe(16) + "-Aa1"}
    app = create_app(_config(url, saved, count))
    with app.app_context():
        flask_migrate.upgrade()
        logging.getLogger("alembic").setLevel(logging.WARNING)
        started = time.perf_counter()
        seed_demo(db.session, prospect_count=count, accounts_file=str(workdir / f"{name}.txt"))
        bench_user = create_user(
            db.session,
            username="bench",
            password=saved["password"],
            role_code="supervisor",
            full_name="基准",
        )
        # Signed and trained, as the office's staff are (services/admin/staff_clearance.py).
        record_starting_clearance(db.session, bench_user, office_today())
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        print(f"   seeded {count:,} cards in {time.perf_counter() - started:.0f} s", flush=True)
        db.session.remove()
        db.engine.dispose()
    (workdir / f"{name}-keys.json").write_text(json.dumps(saved))
    return saved


def _use_code(code: str) -> None:
    """Swap the exporter the views call (views/shared/mixins/exporting.py's ``exports``)."""
    from views.shared import exports
    from views.shared.mixins import exporting

    if code == "slow":
        exports.FAST_PATH = False
    elif code == "before":
        source = subprocess.run(  # noqa: S603
            ["git", "show", "HEAD:views/shared/exports.py"],  # noqa: S607
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        path = Path(tempfile.mkdtemp(prefix="exports-before-")) / "exports_before.py"
        path.write_text(source)
        spec = importlib.util.spec_from_file_location("exports_before", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        exporting.exports = module


def _rss_mb() -> float:
    """This process's resident memory now (Linux), not its lifetime peak."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(url: str, keys_file: str, kind: str, code: str, rows: int) -> dict:
    """One export in this (fresh) process: the child side of main()."""
    from app import create_app

    saved = json.loads(Path(keys_file).read_text())
    app = create_app(_config(url, saved, rows))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    _use_code(code)
    from views.shared.mixins import exporting

    module, counted = exporting.exports, []
    export_ids = module.export_ids

    def counting(view):
        ids = export_ids(view)
        counted.append(len(ids))
        return ids

    module.export_ids = counting
    client = app.test_client()
    response = client.post("/login", data={"username": "bench", "password": saved["password"]})
    if response.status_code != 302:
        raise SystemExit("bench user could not sign in")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_start = rss_max = _rss_mb()
    cpu_started = time.process_time()
    started = time.perf_counter()
    response = client.get(EXPORT_URLS[kind], buffered=False)
    chunks = response.iter_encoded()
    first = next(chunks)
    first_byte = time.perf_counter() - started
    first_byte_cpu = time.process_time() - cpu_started
    size = len(first)
    lines = first.count(b"\n")
    # The second chunk is the first batch of rows (the first is the header: CSV titles, or
    # the XLSX package parts): after the ids query and the access event, on either code.
    first_row = None
    for chunk in chunks:
        if first_row is None:
            first_row = time.perf_counter() - started
        rss_max = max(rss_max, _rss_mb())
        size += len(chunk)
        lines += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    response.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "first_byte": first_byte,
        "first_row": first_row or 0.0,
        "first_byte_cpu": first_byte_cpu,
        "bytes": size,
        "csv_lines": lines,
        "rss_before_mb": before / 1024,
        "rss_start_mb": rss_start,
        "rss_max_mb": rss_max,
        "peak_rss_mb": peak / 1024,
        "status": response.status_code,
        "rows": counted[0] if counted else 0,
    }


def _child(url: str, keys_file: Path, kind: str, code: str, rows: int) -> dict:
    out = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "--measure", url, str(keys_file), kind, code, str(rows)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _runs(seconds) -> str:
    return ", ".join(f"{value:.2f}" for value in seconds)


def bench(url: str, keys_file: Path, rows: int, codes: list[str], repeat: int) -> None:
    for kind in ("csv", "xlsx"):
        runs: dict[str, list[dict]] = {code: [] for code in codes}
        for _ in range(repeat):
            for code in codes:  # interleaved: before, after, before, after...
                runs[code].append(_child(url, keys_file, kind, code, rows))
        for code in codes:
            results = runs[code]
            rates = [r["rows"] / r["seconds"] for r in results]
            cpu_rates = [r["rows"] / r["cpu_seconds"] for r in results]
            print(
                f"   {kind:4} {code:6} {results[0]['rows']:,} rows: {statistics.median(rates):8,.0f} rows/s "
                f"(runs {', '.join(f'{x:,.0f}' for x in rates)}); this process's CPU "
                f"{statistics.median(cpu_rates):,.0f} rows/s; first byte "
                f"{statistics.median(r['first_byte'] for r in results):.3f} s (runs "
                f"{_runs(r['first_byte'] for r in results)}; CPU "
                f"{_runs(r.get('first_byte_cpu', 0) for r in results)}), first row "
                f"{statistics.median(r['first_row'] for r in results):.3f} s (runs "
                f"{_runs(r['first_row'] for r in results)}); peak RSS "
                f"{max(r['peak_rss_mb'] for r in results):.0f} MB (at start "
                f"{results[0]['rss_before_mb']:.0f} MB, the login's password hash); resident during "
                f"the export {results[0]['rss_start_mb']:.0f} -> "
                f"{max(r['rss_max_mb'] for r in results):.0f} MB; "
                f"{results[0]['bytes'] / 2**20:.1f} MB file; load {os.getloadavg()[0]:.1f}",
                flush=True,
            )


def _psql_admin(*args: str) -> None:
    command = [*args, "-h", PG_HOST, "-U", "postgres"]
    subprocess.run(command, check=True, capture_output=True)  # noqa: S603


def main(argv: list[str] | None = None) -> int:
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--measure":
        url, keys_file, kind, code, rows = sys.argv[2:7]
        print(json.dumps(measure(url, keys_file, kind, code, int(rows))))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", nargs="?", type=int, default=200_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--code", default="before,after", help="before, after, slow (comma list)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pg-db", default="bench_exports", metavar="NAME")
    parser.add_argument("--keep", metavar="DIR", help="keep (and reuse) the seeded databases")
    parser.add_argument("--seed-only", action="store_true")
    args = parser.parse_args(argv)
    codes = args.code.split(",")
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
        f"load {os.getloadavg()[0]:.1f}, Python {platform.python_version()}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="export-bench-") as tmp:
        workdir = Path(args.keep or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        targets = []
        if args.db in ("sqlite", "both"):
            targets.append(("sqlite", f"sqlite:///{workdir / 'bench.db'}"))
        if args.db in ("postgresql", "both"):
            targets.append(("pg", f"postgresql+psycopg2://postgres@{PG_HOST}:5432/{args.pg_db}"))
        for name, url in targets:
            keys_file = workdir / f"{name}-keys.json"
            print(f"== {name}: {args.count:,} cards", flush=True)
            if not keys_file.exists():
                if name == "pg":
                    _psql_admin("dropdb", "--if-exists", args.pg_db)
                    _psql_admin("createdb", args.pg_db)
                seed(url, args.count, workdir, name)
            try:
                if not args.seed_only:
                    bench(url, keys_file, args.count, codes, args.repeat)
            finally:
                if name == "pg" and not args.keep:
                    _psql_admin("dropdb", "--if-exists", args.pg_db)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
