"""Our welcome-card pages against a bare Flask-Admin, both served over HTTP (issue 21).

    .venv/bin/python bench/plain_compare.py --keep DIR [--seed 150000] [--db sqlite|postgresql]
        [--pg-db NAME] [--rounds 15] [--ops list1,search_name,...]
    .venv/bin/python bench/plain_compare.py --keep DIR --profile details [--rounds 30]
    .venv/bin/python bench/plain_compare.py --keep DIR --explain [--ops ...]
    ... [--before DIR] [--vary]

Serves, over the SAME database, two gunicorn servers of one worker and one thread each, both
with the production settings (deploy/gunicorn.conf.py):

* ours: the panel (``app.create_app``), signed in as the bench's supervisor (through the
  sign-in form, CSRF token and all);
* plain: a bare Flask-Admin over the database's tables as SQLAlchemy's automap reflects
  them, a ``ModelView`` of ``prospects`` with only what the compared operations need
  (search on ``name``, a filter on ``grade`` and ``consultant_id``, the details page),
  no sign-in.

Then asks them in turns (ours first in even rounds, plain first in odd ones) for each
operation, ``--rounds`` times, and prints the median and p90 wall time of each side and
the ratio of the medians. A benchmark script: nothing here asserts a time. Our list pages
keep parts rendered for an address (views/shared/list_fragments.py): asking one address again
and again times the kept page; ``--vary`` makes each request a first visit of its address.

The database is the one ``bench/run.py --keep DIR`` keeps (``DIR/bench.db`` and
``DIR/sqlite-keys.json``; PostgreSQL: ``--pg-db NAME`` and ``DIR/pg-keys.json``); with
``--seed N`` and no database in DIR yet, N cards are seeded first as bench/run.py seeds them
(owners and units 0.3 N, access events 10 N). A kept database is only read, apart from the
access-log events our pages write (use a copy of someone else's).

``--profile OP`` profiles our page OP in this process instead (cProfile through the test
client, ``--rounds`` requests) and prints the costliest functions and the SQL statements
with their time; ``--explain`` prints the plan of each page's statements on ``prospects``
as the page sent them.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import logging
import os
import platform
import pstats
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_BASE = "postgresql+psycopg2://postgres@127.0.0.1:5432"

#: Operation -> (our path, plain path[, the before side's path]); {sample}, {mobile},
#: {consultant}, {grade_flt} and {consultant_flt} are filled in from the database. Paths
#: joined by "|" are asked one after the other and timed together (a page and what its
#: script reads after it).
OPS = {
    "list1": ("/admin/prospect/", "/plain/prospects/"),
    "list2000": ("/admin/prospect/?page=1999", "/plain/prospects/?page=1999"),
    "filter": (
        "/admin/prospect/?flt0_{grade_flt}=B&flt1_{consultant_flt}={consultant}",
        "/plain/prospects/?flt0_grade_equals=B&flt1_consultant_id_equals={consultant}",
    ),
    "search_name": ("/admin/prospect/?search=%E4%BC%9F", "/plain/prospects/?search=%E4%BC%9F"),
    "search_surname": (
        "/admin/prospect/?search=%E7%8E%8B",
        "/plain/prospects/?search=%E7%8E%8B",
    ),
    "search_initials": ("/admin/prospect/?search=ww", "/plain/prospects/?search=ww"),
    # A name no card has: our list page with nothing to show (its count and page still
    # asked, the layout, sign-in check and navbar as on every page), the floor under the
    # searches' and filter's targets; plain's LIKE scans every name for it.
    "search_none": ("/admin/prospect/?search=%E9%BE%98", "/plain/prospects/?search=%E9%BE%98"),
    # Each side's list page with no rows and next to no database work: ours as search_none,
    # plain's with an indexed filter no card matches (grade Z). What a list page costs
    # before it shows anything: below this no list page of either side can go.
    "empty_page": ("/admin/prospect/?search=%E9%BE%98", "/plain/prospects/?flt0_grade_equals=Z"),
    "search_phone": ("/admin/prospect/?search={mobile}", "/plain/prospects/?search={mobile}"),
    "details": (
        "/admin/prospect/details/?id={sample}",
        "/plain/prospects/details/?id={sample}",
    ),
    # The details page and its panels (history, receptions, who looked...), which the page's
    # script reads after it (views/shared/mixins/links.py): what a look at a card costs in
    # all. A checkout from before the panels were split off reads them with the page.
    "details_all": (
        "/admin/prospect/details/?id={sample}|/admin/prospect/details/panels/?id={sample}&partial=1",
        "/plain/prospects/details/?id={sample}",
        "/admin/prospect/details/?id={sample}",
    ),
}
LABELS = {
    "list1": "list page 1",
    "list2000": "list page 2,000",
    "filter": "filter grade B + consultant",
    "search_name": "search given-name part 伟",
    "search_surname": "search surname 王",
    "search_initials": "search initials ww",
    "search_none": "search 龘 (no card: our empty page)",
    "empty_page": "empty list page (plain: grade Z)",
    "search_phone": "search exact phone",
    "details": "details page",
    "details_all": "details page + its panels",
}


# --- the two apps (gunicorn loads these: 'bench.plain_compare:ours_app()') ----------------
def _secrets() -> dict:
    return json.loads(Path(os.environ["BENCH_SECRETS"]).read_text())


def _config(url: str, saved: dict) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "bench-" + saved["password"],
        "AUDIT_HMAC_KEY": "bench-audit-key-0123456789",
        "EXPORT_MAX_ROWS": 100_000,
        **saved["keys"],
    }


def ours_app():
    from app import create_app
    from extensions import db

    app = create_app(_config(os.environ["BENCH_URL"], _secrets()))
    with app.app_context():
        db.engine.dispose()  # as wsgi.py: no pooled connection crosses the fork
    return app


def plain_app():
    """A bare Flask-Admin over the automapped tables: what an office could set up in an hour."""
    from flask import Flask
    from flask_admin import Admin
    from flask_admin.contrib.sqla import ModelView
    from flask_admin.theme import Bootstrap4Theme
    from flask_babel import Babel
    from sqlalchemy import create_engine
    from sqlalchemy.ext.automap import automap_base
    from sqlalchemy.orm import scoped_session, sessionmaker

    engine = create_engine(os.environ["BENCH_URL"])
    base = automap_base()
    base.prepare(autoload_with=engine)
    session = scoped_session(sessionmaker(bind=engine))
    app = Flask("plain")
    app.config["SECRET_KEY"] = os.urandom(16).hex()
    Babel(app)  # Flask-Admin translates through Flask-Babel when it is installed

    @app.teardown_appcontext
    def _remove(_exc):
        session.remove()

    class Prospects(ModelView):
        column_searchable_list = ("name",)
        column_filters = ("grade", "consultant_id")
        named_filter_urls = True
        can_view_details = True
        page_size = 20

    admin = Admin(app, name="plain", url="/plain", theme=Bootstrap4Theme())
    admin.add_view(Prospects(base.classes.prospects, session, endpoint="prospects"))
    engine.dispose()
    return app


# --- serving ------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, factory: str, url: str, secrets_file: Path, log: Path, root: Path = ROOT):
        self.port = _free_port()
        if root != ROOT:
            # Another checkout (--before): it may not have this script yet.
            shutil.copy(Path(__file__), root / "bench" / "plain_compare.py")
        env = {
            **os.environ,
            "BENCH_URL": url,
            "BENCH_SECRETS": str(secrets_file),
            "PANEL_SQLALCHEMY_DATABASE_URI": url,  # read by deploy/gunicorn.conf.py
            "PANEL_BIND": f"127.0.0.1:{self.port}",
            "PANEL_WORKERS": "1",
            "PANEL_THREADS": "1",
            "PYTHONPATH": str(root),
        }
        self.log = open(log, "wb")  # noqa: SIM115 - closed in stop()
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        self.process = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
            [gunicorn, "-c", "deploy/gunicorn.conf.py", f"bench.plain_compare:{factory}()"],
            cwd=root,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        import requests

        self.http = requests.Session()
        deadline = time.monotonic() + 120
        while True:
            if self.process.poll() is not None:
                raise SystemExit(f"{factory} did not start: see {log}")
            try:
                self.http.get(self.base + "/", timeout=60)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"{factory} did not answer: see {log}") from None
                time.sleep(0.2)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str) -> tuple[float, bytes]:
        seconds, body = 0.0, b""
        for part in path.split("|"):
            started = time.perf_counter()
            response = self.http.get(self.base + part, allow_redirects=False, timeout=120)
            body = response.content
            seconds += time.perf_counter() - started
            if response.status_code != 200:
                raise RuntimeError(f"{part}: {response.status_code}")
        return seconds, body

    def cpu_seconds(self) -> float | None:
        """User + system CPU the server's workers have used so far (Linux /proc; None
        elsewhere): CPU per request over HTTP, steadier than wall time on a loaded machine."""
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
            total = 0
            for pid in children.read_text().split():
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
            return total / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return None

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def sign_in(server: Server, password: str) -> None:
    page = server.http.get(server.base + "/login", timeout=60).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    data = {"username": "bench", "password": password}
    if token:
        data["csrf_token"] = token.group(1)
    response = server.http.post(
        server.base + "/login", data=data, allow_redirects=False, timeout=60
    )
    if response.status_code != 302:
        raise SystemExit(f"bench user could not sign in: {response.status_code}")


# --- the database -------------------------------------------------------------------------
def database(args) -> tuple[str, Path]:
    keep = Path(args.keep)
    keep.mkdir(parents=True, exist_ok=True)
    if args.db == "sqlite":
        return f"sqlite:///{keep / 'bench.db'}", keep / "sqlite-keys.json"
    return f"{PG_BASE}/{args.pg_db}", keep / "pg-keys.json"


def seed_if_missing(args, url: str, secrets_file: Path) -> None:
    if secrets_file.exists():
        return
    if not args.seed:
        raise SystemExit(f"no kept database in {args.keep}: give --seed N")
    import logging
    import secrets

    import flask_migrate

    from app import create_app
    from bench import run as bench_run
    from core.crypto import generate_instance_keys
    from extensions import db

    if args.db == "postgresql":
        bench_run._fresh_pg(args.pg_db)
    saved = {"keys": generate_instance_keys(), "password": secrets.token_urlsafe(16) + "-Aa1"}
    bench_run.PASSWORD = saved["password"]
    app = create_app(_config(url, saved))
    with app.app_context():
        flask_migrate.upgrade()
        logging.getLogger("alembic").setLevel(logging.WARNING)
        db.session.remove()
    started = time.perf_counter()
    timings = bench_run.seed(app, args.seed, int(args.seed * 0.3), args.seed * 10, Path(args.keep))
    print(f"seeded {args.seed:,} cards in {time.perf_counter() - started:.0f} s {timings}")
    with app.app_context():
        db.engine.dispose()
    secrets_file.write_text(json.dumps(saved))
    secrets_file.chmod(0o600)


def samples(url: str, saved: dict) -> dict:
    """The card, mobile, consultant and filter arguments the URLs need."""
    from sqlalchemy import func, select

    from app import create_app
    from bench.run import filter_index
    from extensions import db
    from models.admin.people import User
    from models.sales.prospects import Prospect
    from services.admin.offices import visible_office_ids

    app = create_app(_config(url, saved))
    with app.app_context():
        view = next(
            v
            for v in app.extensions["admin"][0]._views
            if getattr(v, "access_key", "") == "prospect"
        )
        user = db.session.scalar(select(User).where(User.username == "bench"))
        offices = sorted(visible_office_ids(user))
        top = db.session.scalar(select(func.max(Prospect.id)))
        sample = db.session.execute(
            select(Prospect.id, Prospect.mobile, Prospect.consultant_id)
            .where(Prospect.id >= top // 2, Prospect.office_id.in_(offices))
            .order_by(Prospect.id)
            .limit(1)
        ).one()
        with app.test_request_context():
            grade = filter_index(view, "grade", ("FilterEqual",))
            consultant = filter_index(view, "consultant_id", ("LiveOptionsFilter",))
        db.session.remove()
        db.engine.dispose()
    return {
        "sample": sample.id,
        "mobile": sample.mobile,
        "consultant": sample.consultant_id,
        "grade_flt": grade,
        "consultant_flt": consultant,
    }


# --- measuring ----------------------------------------------------------------------------
def median(values: list[float]) -> float:
    return statistics.median(values)


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


def _path(op: str, side: str) -> str:
    if side == "plain":
        return OPS[op][1]
    if side == "before" and len(OPS[op]) > 2:
        return OPS[op][2]
    return OPS[op][0]


def _visit(path: str, round_: int) -> str:
    """``path`` with an argument of its own for this round: an address never asked before,
    so nothing kept for an address (views/shared/list_fragments.py) is reused."""
    return "|".join(
        f"{part}{'&' if '?' in part else '?'}bench_visit={round_}" for part in path.split("|")
    )


def compare(args, url: str, secrets_file: Path) -> None:
    saved = json.loads(secrets_file.read_text())
    fill = samples(url, saved)
    ops = [op for op in (args.ops.split(",") if args.ops else OPS)]
    # The servers' logs go next to nothing shared (a kept database's directory may be read-only).
    logs = Path(tempfile.mkdtemp(prefix="plain-compare-"))
    print(f"servers' logs: {logs}")
    servers = {"ours": Server("ours_app", url, secrets_file, logs / "ours-gunicorn.log")}
    if args.before:
        servers["before"] = Server(
            "ours_app", url, secrets_file, logs / "before-gunicorn.log", Path(args.before)
        )
    servers["plain"] = Server("plain_app", url, secrets_file, logs / "plain-gunicorn.log")
    try:
        for side in ("ours", "before"):
            if side in servers:
                sign_in(servers[side], saved["password"])
        head = f"\n{'operation':30} {'ours p50/p90 ms':>17}"
        if args.before:
            head += f" {'before p50/p90':>17}"
        head += f" {'plain p50/p90 ms':>18} {'ours/plain':>10}"
        if args.before:
            head += f" {'before/plain':>12}"
        print(head + f"  load {os.getloadavg()[0]:.1f}", flush=True)
        for op in ops:
            paths = {side: _path(op, side).format(**fill) for side in servers}
            for _ in range(2):  # warm each (compiled statements, templates, caches)
                for side, server in servers.items():
                    server.get(paths[side])
            times: dict[str, list[float]] = {side: [] for side in servers}
            order = list(servers)
            cpu_before = {side: server.cpu_seconds() for side, server in servers.items()}
            for round_ in range(args.rounds):
                # Each side goes first in turn, so the machine's load hits them alike.
                turn = order[round_ % len(order) :] + order[: round_ % len(order)]
                for side in turn:
                    path = _visit(paths[side], round_) if args.vary else paths[side]
                    times[side].append(servers[side].get(path)[0])
            o, p = times["ours"], times["plain"]
            line = f"{LABELS[op]:30} {median(o) * 1e3:8.1f}/{p90(o) * 1e3:<8.1f}"
            if args.before:
                b = times["before"]
                line += f" {median(b) * 1e3:8.1f}/{p90(b) * 1e3:<8.1f}"
            line += f" {median(p) * 1e3:9.1f}/{p90(p) * 1e3:<8.1f} {median(o) / median(p):10.3f}"
            if args.before:
                line += f" {median(b) / median(p):12.3f}"
            print(line, flush=True)
            cpu = {}
            for side, server in servers.items():
                used = server.cpu_seconds()
                if used is not None and cpu_before[side] is not None:
                    cpu[side] = (used - cpu_before[side]) / args.rounds
            if "ours" in cpu and cpu.get("plain"):
                cpu_line = f"{'  server CPU ms/request':30} ours {cpu['ours'] * 1e3:.1f}"
                if "before" in cpu:
                    cpu_line += f", before {cpu['before'] * 1e3:.1f}"
                cpu_line += f", plain {cpu['plain'] * 1e3:.1f}; ours/plain "
                cpu_line += f"{cpu['ours'] / cpu['plain']:.2f}"
                if "before" in cpu:
                    cpu_line += f", before/plain {cpu['before'] / cpu['plain']:.2f}"
                print(cpu_line, flush=True)
        print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        for server in servers.values():
            server.stop()


def profile(args, url: str, secrets_file: Path) -> None:
    """cProfile of our page ``args.profile`` through the test client, with its SQL timed."""
    from sqlalchemy import event

    from app import create_app
    from extensions import db

    saved = json.loads(secrets_file.read_text())
    fill = samples(url, saved)
    paths = OPS[args.profile][0].format(**fill).split("|")
    app = create_app({**_config(url, saved), "WTF_CSRF_ENABLED": False})
    logging.getLogger("panel.request").setLevel(logging.WARNING)
    client = app.test_client()
    response = client.post("/login", data={"username": "bench", "password": saved["password"]})
    if response.status_code != 302:
        raise SystemExit("bench user could not sign in")
    statements: dict[str, list[float]] = {}
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _start(conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("started", []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _end(conn, cursor, statement, parameters, context, executemany):
        seconds = time.perf_counter() - conn.info["started"].pop()
        statements.setdefault(" ".join(statement.split())[:300], []).append(seconds)

    path = " + ".join(paths)

    def ask() -> int:
        return max(client.get(part).status_code for part in paths)

    for _ in range(3):
        assert ask() == 200
    cpu = []
    for _ in range(args.rounds):
        started = time.process_time()
        assert ask() == 200
        cpu.append(time.process_time() - started)
    print(
        f"{path}: CPU median {median(cpu) * 1e3:.2f} ms without the profiler, {args.rounds} requests"
    )
    statements.clear()
    profiler = cProfile.Profile()
    walls = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        profiler.enable()
        status = ask()
        profiler.disable()
        walls.append(time.perf_counter() - started)
        assert status == 200, status
    print(f"{path}: median {median(walls) * 1e3:.1f} ms under the profiler, {args.rounds} requests")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
    print(out.getvalue())
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
    print(out.getvalue())
    print("SQL per request (ms):")
    for statement, runs in sorted(statements.items(), key=lambda kv: -sum(kv[1])):
        print(
            f"  {sum(runs) * 1e3 / args.rounds:7.2f}  x{len(runs) / args.rounds:.0f}  {statement}"
        )


def explain(args, url: str, secrets_file: Path) -> None:
    """The plan of each page's statements on prospects, as the page sends them (captured
    through the test client): EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL."""
    from sqlalchemy import event

    from app import create_app
    from extensions import db

    saved = json.loads(secrets_file.read_text())
    fill = samples(url, saved)
    app = create_app({**_config(url, saved), "WTF_CSRF_ENABLED": False})
    logging.getLogger("panel.request").setLevel(logging.WARNING)
    client = app.test_client()
    client.post("/login", data={"username": "bench", "password": saved["password"]})
    captured: list[tuple[str, object]] = []
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _keep(conn, cursor, statement, parameters, context, executemany):
        head = statement.lstrip().upper()
        if head.startswith("SET ") or (head.startswith("SELECT") and "FROM prospects" in statement):
            captured.append((statement, parameters))

    sqlite = url.startswith("sqlite")
    for op in args.ops.split(",") if args.ops else OPS:
        path = OPS[op][0].format(**fill)
        for part in path.split("|"):
            client.get(part)
        captured.clear()
        for part in path.split("|"):
            client.get(part)
        print(f"\n== {LABELS[op]}: {path}")
        with engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            for statement, parameters in captured:
                cursor = raw.cursor()
                if statement.lstrip().upper().startswith("SET "):
                    cursor.execute(statement, parameters)  # as the page's transaction had it
                    print(f"-- {statement}")
                    continue
                prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN (ANALYZE, COSTS OFF) "
                cursor.execute(prefix + statement, parameters)
                plan = [row[3] if sqlite else row[0] for row in cursor.fetchall()]
                started = time.perf_counter()
                cursor.execute(statement, parameters)
                cursor.fetchall()
                ms = (time.perf_counter() - started) * 1e3
                print(f"-- {ms:.2f} ms: {' '.join(statement.split())[:400]}")
                for line in plan:
                    print("   " + line)
                cursor.close()
            raw.rollback()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", required=True, metavar="DIR")
    parser.add_argument("--seed", type=int, default=0, metavar="N")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-db", default="bench", metavar="NAME")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--ops", help="comma-separated: " + ",".join(OPS))
    parser.add_argument("--profile", choices=sorted(OPS), help="profile our page in-process")
    parser.add_argument("--explain", action="store_true", help="plans of the pages' queries")
    parser.add_argument(
        "--vary",
        action="store_true",
        help="add bench_visit=<round> to every address: each request a first visit of its "
        "address (nothing our panel keeps per address is reused)",
    )
    parser.add_argument(
        "--before",
        metavar="DIR",
        help="also serve our panel from this other checkout (e.g. `git archive HEAD | tar -x "
        "-C DIR`), interleaved with the two others: before/after on the same data",
    )
    args = parser.parse_args(argv)
    url, secrets_file = database(args)
    seed_if_missing(args, url, secrets_file)
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
        f"Python {platform.python_version()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{args.db} {url.rsplit('/', 1)[-1]}, load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    if args.explain:
        explain(args, url, secrets_file)
    elif args.profile:
        profile(args, url, secrets_file)
    else:
        compare(args, url, secrets_file)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
