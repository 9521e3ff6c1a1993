"""The name-search tokens of an import alone: making them and writing them (issue 22).

    .venv/bin/python bench/name_tokens_bench.py [--tree DIR] [--names bench|real] ROWS

On a new database migrated like `flask db upgrade` (an SQLite file; BENCH_DATABASE_URL: an
empty PostgreSQL database, its schema dropped afterwards), ROWS card rows in the import's
chunks of 1,000 rows: ``tokens_of`` of each card's name (its cache emptied first; pypinyin's
one-time load timed apart), then ``_insert_tokens`` of the chunk's rows, all in one transaction.
Names: ``bench`` (import_bench.py's card names 客户0, 客户1, … every tenth row a later visit,
no card) or ``real`` (2-3 character Chinese names drawn from common surnames and given-name
characters, fixed seed). ``--tree`` runs another checkout's code (e.g. a ``git archive`` of
the commit before) with this interpreter, for interleaved before/after runs. Prints wall and
CPU seconds of each part (on PostgreSQL also the server backend's CPU, from /proc) and the
load average. Figures: docs/import.md.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.names import real_names  # noqa: E402 (after the path is set)


def _server_cpu(pid: int | None) -> float:
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(tree: Path, rows: int, names_kind: str) -> None:
    sys.path.insert(0, str(tree))
    import flask_migrate
    from sqlalchemy import text

    from app import create_app
    from core.crypto import generate_instance_keys
    from extensions import db

    folder = Path(tempfile.mkdtemp())
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder / 'bench.db'}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "AUDIT_HMAC_KEY": "bench-audit-key-0123456789",
            **generate_instance_keys(),
        }
    )
    names = real_names(rows) if names_kind == "real" else [f"客户{n}" for n in range(rows)]
    with app.app_context():
        flask_migrate.upgrade(directory=str(tree / "migrations"))
        from services.shared import name_search

        name_search.tokens_of.cache_clear()
        # pypinyin's dictionaries, loaded once a process when the first name is read: apart.
        cpu = time.process_time()
        import pypinyin  # noqa: F401

        loaded = time.process_time() - cpu
        conn = db.session.connection()
        backend = None
        if conn.dialect.name == "postgresql":
            backend = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        server = _server_cpu(backend)
        made = [0.0, 0.0]
        written = [0.0, 0.0]
        count, next_id = 0, 1
        for start in range(0, rows, 1000):
            pairs = []
            for n in range(start, min(rows, start + 1000)):
                if n % 10 == 9:  # a later visit of the card above: no card, no tokens
                    continue
                pairs.append((next_id, names[n]))
                next_id += 1
            wall, cpu = time.perf_counter(), time.process_time()
            chunk = [
                ("prospect", token, record_id)
                for record_id, name in pairs
                for token in name_search.tokens_of(name)
            ]
            made[0] += time.perf_counter() - wall
            made[1] += time.process_time() - cpu
            wall, cpu = time.perf_counter(), time.process_time()
            name_search._insert_tokens(conn, chunk)  # noqa: SLF001 (what is timed)
            written[0] += time.perf_counter() - wall
            written[1] += time.process_time() - cpu
            count += len(chunk)
        wall = time.perf_counter()
        db.session.commit()
        committed = time.perf_counter() - wall
        server = _server_cpu(backend) - server
        if backend is None:
            size = f"file {(folder / 'bench.db').stat().st_size / 1e6:.1f} MB"
        else:
            size = "table " + db.session.scalar(
                text("SELECT pg_size_pretty(pg_total_relation_size('name_search_tokens'))")
            )
        print(
            f"{tree.name} {names_kind} names, {rows} rows, {count} tokens: "
            f"pypinyin loaded {loaded:.2f} s CPU; made {made[0]:.2f} s wall {made[1]:.2f} s CPU; "
            f"written {written[0]:.2f} s wall {written[1]:.2f} s CPU"
            + (f" (server {server:.2f} s CPU)" if backend else "")
            + f"; commit {committed:.2f} s; {size}; load {os.getloadavg()[0]:.1f}"
        )
        if backend is not None:
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()


if __name__ == "__main__":
    args = sys.argv[1:]
    if not args or args[0] in ("-h", "--help"):
        print(__doc__)
        sys.exit(0)
    tree, names_kind = Path(__file__).resolve().parent.parent, "bench"
    while args[0].startswith("--"):
        if args[0] == "--tree":
            tree = Path(args[1]).resolve()
        elif args[0] == "--names":
            names_kind = args[1]
        args = args[2:]
    run(tree, int(args[0]), names_kind)
