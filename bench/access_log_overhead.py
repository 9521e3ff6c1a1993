"""What writing the access log costs a list page: the same page with logging on and off.

    .venv/bin/python bench/access_log_overhead.py [--prospects 20000] [--rounds 15] [--pg URL]

Seeds a scratch database (SQLite file, or the PostgreSQL database given, emptied first),
signs in as a supervisor and requests the welcome-card list and a search, alternating
batches with the access log on and off (off: the view's event writer replaced by a no-op
for the batch), so drift of the machine hits both sides alike. Prints p50 and p95 per mode
and the overhead. The target (issue 7) is at most 10%. A benchmark: it asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask_migrate  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

import views.shared.mixins.access_log as access_log  # noqa: E402
from app import create_app  # noqa: E402
from bench.run import PASSWORD, seed  # noqa: E402
from core.crypto import generate_instance_keys  # noqa: E402
from extensions import db  # noqa: E402

PAGES = ("/admin/prospect/", "/admin/prospect/?search=ww")


def _no_log(*args, **kwargs) -> None:
    return None


def measure(url: str, prospects: int, rounds: int, batch: int, workdir: Path) -> None:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "AUDIT_HMAC_KEY": "bench-audit-key-0123456789",
            "WTF_CSRF_ENABLED": False,
            **generate_instance_keys(),
        }
    )
    with app.app_context():
        flask_migrate.upgrade()
        db.session.remove()
    seed(app, prospects, 0, 0, workdir)
    client = app.test_client()
    client.post("/login", data={"username": "bench", "password": PASSWORD})
    real = access_log.log_in_own_transaction
    for page in PAGES:
        times: dict[str, list[float]] = {"on": [], "off": []}
        for _ in range(3):
            client.get(page)  # warm up
        for _ in range(rounds):
            for mode in ("on", "off"):
                access_log.log_in_own_transaction = real if mode == "on" else _no_log
                for _ in range(batch):
                    started = time.perf_counter()
                    response = client.get(page)
                    times[mode].append(time.perf_counter() - started)
                    assert response.status_code == 200
        access_log.log_in_own_transaction = real
        on, off = statistics.median(times["on"]), statistics.median(times["off"])
        p95 = {m: sorted(v)[int(0.95 * (len(v) - 1))] for m, v in times.items()}
        print(
            f"{url.split(':')[0]:10} {page:32} log on p50 {on * 1e3:6.2f} ms (p95 "
            f"{p95['on'] * 1e3:6.2f}), off p50 {off * 1e3:6.2f} ms (p95 {p95['off'] * 1e3:6.2f})"
            f"  overhead {100 * (on - off) / off:+.1f}%",
            flush=True,
        )
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prospects", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--pg", metavar="URL", help="also on this (scratch) PostgreSQL database")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="log-overhead-") as tmp:
        measure(f"sqlite:///{tmp}/bench.db", args.prospects, args.rounds, args.batch, Path(tmp))
        if args.pg:
            engine = create_engine(args.pg)
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            engine.dispose()
            measure(args.pg, args.prospects, args.rounds, args.batch, Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
