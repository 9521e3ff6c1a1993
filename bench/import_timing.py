"""What the import benches share (bench/import_bench.py, dealer_import_bench.py,
archive_import_bench.py): a fresh database per size, the timed check + import, the printed
rates and one subprocess per size.

Each size runs in a fresh subprocess on a new SQLite file migrated like `flask db upgrade`, so
peak memory (ru_maxrss) belongs to that size alone; with BENCH_DATABASE_URL (an empty
PostgreSQL database) it runs there instead, its schema dropped after each size. The printed
line holds the wall-clock rates of the check, the import and both, the CPU-time rate of both
(the bench process's own, with the child process that read a large sheet and the fork server
that started it: on a loaded machine the steadier figure), on PostgreSQL the CPU
seconds the server's processes spent meanwhile (all of them, read from /proc: the backends
of the check and of the import, the WAL writer, the checkpointer), the peak RSS (and the
reader process's, when there was one) and the load average when the size ended.

``BENCH_WRITE_TIMES=1`` adds a line of the time the import spent waiting on the database for
each table's rows (each COPY on PostgreSQL, each multi-row INSERT on SQLite, timed around the
call): where the import's database side goes (docs/import.md).
"""

from __future__ import annotations

import os
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def bench_folder() -> Path:
    return Path(tempfile.mkdtemp())


@contextmanager
def bench_app(folder: Path) -> Iterator[object]:
    """An app on a new migrated database with the standard lists, in its app context; on
    PostgreSQL the schema is dropped afterwards, and ``folder`` (the workbook, the SQLite
    file) is deleted: a bench leaves no file of its rows behind."""
    import flask_migrate
    from sqlalchemy import text

    from app import create_app
    from core.crypto import generate_instance_keys
    from extensions import db
    from services.admin.standard_data import install_standard_data

    database = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder / 'bench.db'}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database,
            "SECRET_KEY": "bench",
            "AUDIT_HMAC_KEY": "bench-audit-key-0123456789",
            **generate_instance_keys(),
        }
    )
    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        install_standard_data(db.session)
        try:
            yield app
        finally:
            if os.environ.get("BENCH_DATABASE_URL"):
                db.session.rollback()
                db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
                db.session.commit()
            db.session.remove()
            db.engine.dispose()
            shutil.rmtree(folder, ignore_errors=True)


def bench_user(role_code: str, **extra):
    """A throw-away account of ``role_code``, committed, fresh from the session."""
    from extensions import db
    from models.admin.people import User
    from services.admin.accounts import create_user

    user = create_user(
        db.session,
        username="bench",
        full_name="bench",
        role_code=role_code,
        password="bench-password-123",  # noqa: S106 (a throw-away bench account)
        **extra,
    )
    db.session.commit()
    return db.session.get(User, user.id)


@dataclass
class Timing:
    rows: int
    report: object
    outcome: object
    #: perf_counter at the start, after the check and after the commit.
    started: float
    checked: float
    done: float
    #: process_time of check + import.
    cpu: float
    rss_before_mb: float
    #: CPU seconds of the PostgreSQL server's processes during check + import (None: SQLite).
    server_cpu: float | None = None
    #: Table -> [seconds, rows or statements] of the bulk writes (BENCH_WRITE_TIMES=1).
    writes: dict[str, list] | None = None
    #: What the child process that read the sheet reported (services/shared/
    #: sheet_process.py): peak RSS in MB and CPU seconds; None when the sheet was read here.
    reader: dict[str, float] | None = None
    #: CPU seconds of multiprocessing's fork server (its start, loading the reader's modules).
    fork_server_cpu: float = 0.0

    def line(self, label: str) -> str:
        rows = self.rows
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        load = " / ".join(f"{n:.1f}" for n in os.getloadavg())
        return (
            f"{label:>8} {rows:>7} rows  check {rows / (self.checked - self.started):>8,.0f} "
            f"rows/s  import {rows / (self.done - self.checked):>8,.0f} rows/s  "
            f"both {rows / (self.done - self.started):>8,.0f} rows/s  "
            f"peak RSS {peak_mb:,.0f} MB ({self.rss_before_mb:,.0f} MB before the check"
            + self._reader_part()
            + f"(CPU: both {rows / self._all_cpu():>8,.0f} rows/s"
            + (
                f"; PostgreSQL's processes {self.server_cpu:.1f} s"
                if self.server_cpu is not None
                else ""
            )
            + f")  load {load}"
            + self._writes_line()
        )

    def _reader_part(self) -> str:
        if self.reader is None:
            return ")  "
        return f"; the sheet's reader process {self.reader['peak_rss_mb']:,.0f} MB)  "

    def _all_cpu(self) -> float:
        """This process's CPU, the sheet's reader process's and the fork server's."""
        reader = self.reader["cpu_s"] if self.reader else 0.0
        return self.cpu + reader + self.fork_server_cpu

    def _writes_line(self) -> str:
        if not self.writes:
            return ""
        parts = (
            f"{table} {seconds:.2f} s ({count:,} {unit})"
            for table, (seconds, count, unit) in sorted(
                self.writes.items(), key=lambda item: -item[1][0]
            )
        )
        return "\n          writes: " + ", ".join(parts)


@contextmanager
def write_times() -> Iterator[dict[str, list] | None]:
    """With BENCH_WRITE_TIMES=1, the import's bulk writes timed per table (the writer thread
    waits in each call while the database works), and every other call the writer makes
    (``_Writes.call``: updates, the access events) by what it calls; else None and nothing
    patched. (The calls were not timed at first, which hid a lease list's 25,000 UPDATEs.)"""
    if os.environ.get("BENCH_WRITE_TIMES") != "1":
        yield None
        return
    from services.shared import importer

    spent: dict[str, list] = {}

    def add(table: str, seconds: float, count: int, unit: str) -> None:
        entry = spent.setdefault(table, [0.0, 0, unit])
        entry[0] += seconds
        entry[1] += count

    send_copy, run_inserts = importer.send_copy, importer._run_inserts

    def timed_copy(conn, statement: str, text: str) -> None:
        started = time.perf_counter()
        send_copy(conn, statement, text)
        add(statement.split()[1], time.perf_counter() - started, text.count("\n"), "rows")

    def timed_inserts(conn, statements) -> None:
        started = time.perf_counter()
        run_inserts(conn, statements)
        table = statements[0][0].split()[2] if statements else "?"
        add(table, time.perf_counter() - started, len(statements), "statements")

    call = importer._Writes.call

    def timed_call(writes, fn, *args, **kwargs) -> None:
        name = getattr(fn, "__qualname__", type(fn).__name__)

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                add(f"call {name}", time.perf_counter() - started, 1, "calls")

        call(writes, timed, *args, **kwargs)

    importer.send_copy, importer._run_inserts = timed_copy, timed_inserts
    importer._Writes.call = timed_call
    try:
        yield spent
    finally:
        importer.send_copy, importer._run_inserts = send_copy, run_inserts
        importer._Writes.call = call


def fork_server_cpu() -> float:
    """CPU seconds (user + system) of multiprocessing's fork server, if this process started
    one (its children's are their own: ``Timing.reader``)."""
    from multiprocessing import forkserver

    pid = getattr(forkserver._forkserver, "_forkserver_pid", None)  # no public accessor
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu() -> float | None:
    """CPU seconds (user + system) of the processes named ``postgres`` on this machine, or
    None when the bench runs on SQLite. Those that end in between take their share with
    them: the bench's backends last the whole run. Another database's client backends are
    left out (other work on the same server, such as a test run); the server's own
    processes (WAL writer, checkpointer, autovacuum) are counted, as the import makes
    their work."""
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        return None
    database = url.rsplit("/", 1)[1].split("?", 1)[0]
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, fields = stat.read_text().rsplit(")", 1)
            if not name.endswith("(postgres"):
                continue
            title = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").split()
        except OSError:
            continue  # ended meanwhile
        # a client backend's title: "postgres: [CLUSTER:] USER DATABASE HOST(PORT) STATE"
        client = [i for i, word in enumerate(title) if i > 1 and word.endswith(b")")]
        if client and title[client[0] - 1].decode(errors="replace") != database:
            continue
        values = fields.split()
        ticks += int(values[11]) + int(values[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def settle() -> None:
    """PostgreSQL: the statistics of what the bench put in first (the dealers a visit list
    names, the units of a lease list), as autovacuum has them a minute after: without them
    the planner takes a table of 100,000 dealers for one of a few dozen and scans it."""
    from sqlalchemy import exc, text

    from extensions import db

    if db.engine.dialect.name == "postgresql":
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        # Each run starts after a checkpoint: otherwise the seeding's (or the run before's)
        # write-ahead log made a checkpoint fall at a different point of each timed run
        # (max_wal_size 1 GB here), which moved the figures by 10-20%.
        try:
            db.session.execute(text("CHECKPOINT"))
            db.session.commit()
        except exc.DBAPIError:  # not a superuser (nor pg_checkpoint): runs as they come
            db.session.rollback()


def timed_import(rows: int, path: Path, headers: list[str], kind: str, user, consent) -> Timing:
    """Check then import ``path`` as ``user`` (one transaction, committed), timed."""
    from extensions import db
    from services.shared import importer

    mapping = importer.guess_mapping(headers, kind)
    settle()
    # as the import jobs do: the check keeps the rows it found good for the import
    token = secrets.token_hex(16)
    kept = importer.CheckedRows(path.parent / f"{token}-checked.sealed", token)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    server_started = postgres_cpu()
    started, cpu_started = time.perf_counter(), time.process_time()
    report = importer.check_file(db.session, path, mapping, kind=kind, user=user, checked=kept)
    checked = time.perf_counter()
    with write_times() as writes:
        outcome = importer.import_file(
            db.session,
            user,
            path,
            mapping,
            skip_rejected=False,
            kind=kind,
            consent=consent,
            checked=kept,
        )
        db.session.commit()
    done, cpu_done = time.perf_counter(), time.process_time()
    server_done = postgres_cpu()
    from services.shared import sheet_process

    server = None if server_started is None else server_done - server_started
    return Timing(
        rows,
        report,
        outcome,
        started,
        checked,
        done,
        cpu_done - cpu_started,
        rss_before,
        server,
        writes,
        sheet_process.last_child,
        fork_server_cpu(),
    )


def main(
    script: str,
    doc: str,
    one_size: Callable[..., None],
    kinds: Callable[[str | None], list[str]] | None = None,
) -> None:
    """``script [--kind K] [ROWS ...]`` (default sizes 10,000 and 50,000), each size (and
    kind) in a subprocess of its own, ``script --one ROWS [KIND]``; ``--help`` prints ``doc``.
    ``kinds`` (a script that takes --kind) turns the --kind given (None: none) into the kinds
    to run."""
    args = sys.argv[1:]
    if args and args[0] in ("-h", "--help"):
        print(doc)
        return
    if args and args[0] == "--one":
        one_size(int(args[1]), *args[2:])
        return
    chosen = None
    if kinds is not None and len(args) >= 2 and args[0] == "--kind":
        chosen, args = args[1], args[2:]
    sizes = [int(a) for a in args] or [10_000, 50_000]
    for kind in kinds(chosen) if kinds is not None else [None]:
        for rows in sizes:
            command = [sys.executable, script, "--one", str(rows)]
            command += [kind] if kind else []
            subprocess.run(command, check=True)  # noqa: S603
