"""`make load`: fifty people on the served panel for a while, then the books are checked.

    .venv/bin/python bench/load/run.py [--db postgresql|sqlite] [--prospects 1000000]
        [--users 50] [--duration 300] [--fault none|sigterm|sigkill|pg-terminate|redis-down]

Makes a scratch database (PostgreSQL: the database ``--pg-db`` on 127.0.0.1, made and dropped
by this script, never another one; SQLite: a file under a temporary directory), migrates it
and seeds the demo group (demo.seed.seed_demo, what ``flask seed-demo`` runs) with
``--prospects`` cards, plus the load's accounts (clerks and supervisors in the two sales
offices, custodians of every office, admins). Starts its own Redis (``redis-server --port
<free> --save ''``) for the limits and gunicorn (deploy/gunicorn.conf.py) on a free port of
127.0.0.1, then locust headless (bench/load/locustfile.py) with ``--users`` users for
``--duration`` seconds. With ``--fault``, bench/load/faults.py strikes half-way through.

Prints requests/s and p50/p95/p99 per action, the 5xx count, then the books
(bench/load/books.py): every card the users were told was created exists exactly once,
every visit and correction acknowledged is there once, every approval applied once, no
file out twice, the access-log chain verifies and the access events match the requests.
Exit status 1 when a book does not balance or a 5xx was answered outside a fault.
Traffic goes to 127.0.0.1 only. Figures: docs/load.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
PG_BASE = "postgresql+psycopg2://postgres@127.0.0.1:5432"
REDIS_SERVER = shutil.which("redis-server") or "redis-server"
AUDIT_KEY = "load-audit-key-" + secrets.token_hex(8)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_get(port: int, path: str, timeout: float = 5) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:  # noqa: S310
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


# -- the scratch database --------------------------------------------------------------


def pg_admin(sql: str, params=None, dbname: str = "postgres"):
    import psycopg2  # noqa: PLC0415

    connection = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname=dbname)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else None
    finally:
        connection.close()


def make_database(args, workdir: Path) -> str:
    if args.db == "sqlite":
        return f"sqlite:///{workdir / 'load.db'}"
    name = args.pg_db
    # Only this script's own database: its name is fixed by --pg-db and checked here.
    if not name.startswith("load"):
        raise SystemExit("--pg-db must start with 'load' (a scratch database of this script)")
    pg_admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
    pg_admin(f'DROP DATABASE IF EXISTS "{name}"')
    pg_admin(f'CREATE DATABASE "{name}"')
    return f"{PG_BASE}/{name}"


#: Seeded databases kept for later runs (PostgreSQL templates), with their keys and plan.
TEMPLATES = Path(tempfile.gettempdir()) / "panel-load-templates"


def template_name(args) -> str:
    """``loadtpl_<size>`` on PostgreSQL, ``loadtpl_sqlite_<size>`` for a kept SQLite file."""
    return (
        f"loadtpl_{args.prospects}"
        if args.db == "postgresql"
        else f"loadtpl_sqlite_{args.prospects}"
    )


def sqlite_template(args) -> Path:
    return TEMPLATES / f"{template_name(args)}.db"


def from_template(args, workdir: Path) -> tuple[str, dict, dict] | None:
    """A copy of the kept seeded database of this size, with its keys and plan, or None.

    Seeding a million cards takes many minutes; a PostgreSQL template database is copied in
    seconds (a SQLite file likewise), so repeated runs (a sweep, a fault) start from the same
    seeded office."""
    saved = TEMPLATES / f"{template_name(args)}.json"
    if not saved.exists():
        return None
    stored = json.loads(saved.read_text(encoding="utf-8"))
    if args.db == "sqlite":
        if not sqlite_template(args).exists():
            return None
        target = workdir / "load.db"
        shutil.copyfile(sqlite_template(args), target)
        target.chmod(0o600)
        url = f"sqlite:///{target}"
        migrate_to_head(url, stored["keys"])
        plan = stored["plan"]
        plan["run_tag"] = "load" + uuid.uuid4().hex[:6]
        plan["seed_seconds"] = 0.0
        return url, stored["keys"], plan
    exists = pg_admin("SELECT 1 FROM pg_database WHERE datname = %s", (template_name(args),))
    if not exists:
        return None
    name = args.pg_db
    if not name.startswith("load"):
        raise SystemExit("--pg-db must start with 'load' (a scratch database of this script)")
    pg_admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
    pg_admin(f'DROP DATABASE IF EXISTS "{name}"')
    pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template_name(args)}"')
    # A template seeded before a newer migration is brought to head, as a deployment would be.
    migrate_to_head(f"{PG_BASE}/{name}", stored["keys"])
    plan = stored["plan"]
    plan["run_tag"] = "load" + uuid.uuid4().hex[:6]  # the books match this run's writes
    plan["seed_seconds"] = 0.0
    return f"{PG_BASE}/{name}", stored["keys"], plan


def migrate_to_head(url: str, keys: dict) -> None:
    import flask_migrate  # noqa: PLC0415

    from app import create_app  # noqa: PLC0415
    from extensions import db  # noqa: PLC0415

    app = create_app(app_config(url, keys))
    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        db.engine.dispose()


def save_template(args, keys: dict, plan: dict, url_path: Path) -> None:
    """Keep the freshly seeded database as the template of its size (before any load)."""
    name = template_name(args)
    TEMPLATES.mkdir(mode=0o700, exist_ok=True)
    if args.db == "sqlite":
        shutil.copyfile(url_path, sqlite_template(args))
        sqlite_template(args).chmod(0o600)
    else:
        _save_pg_template(args, name)
    saved = TEMPLATES / f"{name}.json"
    saved.write_text(json.dumps({"keys": keys, "plan": plan}, ensure_ascii=False))
    saved.chmod(0o600)
    print(f"kept the seeded database as {name} (reuse it with --reuse-seed)")


def _save_pg_template(args, name: str) -> None:
    pg_admin(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (args.pg_db,)
    )
    pg_admin(f'DROP DATABASE IF EXISTS "{name}"')
    pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{args.pg_db}"')


def drop_database(args, workdir: Path) -> None:
    if args.db == "sqlite" and not args.keep:
        # A million synthetic cards take gigabytes; the ledger and server log stay.
        for leftover in workdir.glob("load.db*"):
            leftover.unlink()
    if args.db == "postgresql" and not args.keep:
        pg_admin(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            (args.pg_db,),
        )
        pg_admin(f'DROP DATABASE IF EXISTS "{args.pg_db}"')


def seed(url: str, args, keys: dict, workdir: Path) -> dict:
    """Migrate, seed the demo group and the load's accounts; the plan locust works from."""
    import flask_migrate  # noqa: PLC0415
    from sqlalchemy import select  # noqa: PLC0415

    from app import create_app  # noqa: PLC0415
    from core.clock import office_today  # noqa: PLC0415
    from demo.seed import seed_demo  # noqa: PLC0415
    from extensions import db  # noqa: PLC0415
    from models.admin.offices import Office  # noqa: PLC0415
    from models.admin.reference import ReferenceItem, ReferenceList  # noqa: PLC0415
    from models.archive.archives import ArchiveFile  # noqa: PLC0415
    from services.admin.accounts import create_user  # noqa: PLC0415
    from services.admin.staff import record_starting_clearance  # noqa: PLC0415

    app = create_app(app_config(url, keys))
    started = time.perf_counter()
    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        seed_demo(
            db.session,
            prospect_count=args.prospects,
            accounts_file=str(workdir / "demo-accounts.txt"),
        )
        sales = db.session.scalars(
            select(Office).where(Office.kind == "sales").order_by(Office.id)
        ).all()
        every = db.session.scalars(select(Office).order_by(Office.id)).all()
        # The mix of the issue: mostly clerks, a few supervisors, custodians and admins.
        custodians = max(1, args.users // 25)
        admins = max(1, args.users // 25)
        supervisors = max(len(sales), args.users // 8)
        clerks = args.users - custodians - admins - supervisors
        accounts = []
        bosses: dict[int, object] = {}
        plan_roles = (
            [("supervisor", i) for i in range(supervisors)]
            + [("clerk", i) for i in range(clerks)]
            + [("custodian", i) for i in range(custodians)]
            + [("admin", i) for i in range(admins)]
        )
        for role, i in plan_roles:
            office = sales[i % len(sales)]
            offices = {"clerk": [office], "supervisor": [office], "custodian": every}.get(role, [])
            password = secrets.token_urlsafe(12)
            user = create_user(
                db.session,
                username=f"load_{role}{i + 1:02d}",
                full_name=f"压测{role}{i + 1}",
                role_code=role,
                password=password,
                offices=offices,
            )
            # Signed and trained, as the office's staff are (services/admin/staff_clearance.py).
            record_starting_clearance(db.session, user, office_today())
            if role == "supervisor":
                bosses.setdefault(office.id, user)
            if role == "clerk":
                user.superior = bosses[office.id]
            codes = []
            if role == "clerk":
                codes = db.session.scalars(
                    select(ArchiveFile.code)
                    .where(ArchiveFile.office_id == office.id, ArchiveFile.state == "in_room")
                    .order_by(ArchiveFile.id)
                    .limit(40)
                ).all()
            accounts.append(
                {
                    "username": user.username,
                    "password": password,
                    "role": role,
                    "office_id": office.id if role in ("clerk", "supervisor") else None,
                    "file_codes": list(codes),
                }
            )
        source_id = db.session.scalar(
            select(ReferenceItem.id)
            .join(ReferenceList)
            .where(ReferenceList.code == "source_channel")
            .order_by(ReferenceItem.id)
        )
        db.session.commit()
        today = office_today().isoformat()
        db.engine.dispose()
    # Interleave the roles so the first users signed in are a mix, not all supervisors.
    accounts.sort(key=lambda a: (a["username"][-2:], a["role"]))
    return {
        "accounts": accounts,
        "source_id": source_id,
        "today": today,
        "run_tag": "load" + uuid.uuid4().hex[:6],
        "mobile_base": 0,
        "seed_seconds": round(time.perf_counter() - started, 1),
    }


def app_config(url: str, keys: dict) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "load-secret-" + AUDIT_KEY,
        "AUDIT_HMAC_KEY": AUDIT_KEY,
        **keys,
    }


# -- the served panel ------------------------------------------------------------------


class Redis:
    """A Redis of this run only, on a free port, saving nothing."""

    def __init__(self):
        self.port = free_port()
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("redis-server did not start")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


class Panel:
    """gunicorn with deploy/gunicorn.conf.py on a free port of 127.0.0.1."""

    def __init__(self, url: str, keys: dict, redis_url: str, workdir: Path, workers: int | None):
        self.port = free_port()
        self.log_path = workdir / "gunicorn.log"
        env = {
            **os.environ,
            "PANEL_SQLALCHEMY_DATABASE_URI": url,
            "PANEL_RATELIMIT_STORAGE_URI": redis_url,
            "PANEL_RATELIMIT_KEY_PREFIX": "load-" + uuid.uuid4().hex[:8],
            "PANEL_SECRET_KEY": "load-secret-" + AUDIT_KEY,
            "PANEL_AUDIT_HMAC_KEY": AUDIT_KEY,
            "PANEL_ENCRYPTION_KEYS": json.dumps(keys["ENCRYPTION_KEYS"]),
            "PANEL_ENCRYPTION_CURRENT_KEY": keys["ENCRYPTION_CURRENT_KEY"],
            "PANEL_BLIND_INDEX_KEY": keys["BLIND_INDEX_KEY"],
            "PANEL_BIND": f"127.0.0.1:{self.port}",
        }
        if workers:
            env["PANEL_WORKERS"] = str(workers)
        self.log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
            [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn did not start: see {self.log_path}")
            try:
                if http_get(self.port, "/readyz")[0] == 200:
                    self._wait_for_workers()
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("gunicorn did not answer /readyz within 60 s")
            time.sleep(0.2)

    def _wait_for_workers(self) -> None:
        """Until the master has forked all its workers (the count holds for a second)."""
        seen, steady_since = len(self.workers()), time.monotonic()
        deadline = steady_since + 30
        while time.monotonic() - steady_since < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
            now = len(self.workers())
            if now != seen:
                seen, steady_since = now, time.monotonic()

    def workers(self) -> list[int]:
        pid = self.process.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return []
        return [int(child) for child in children]

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # graceful: requests in flight finish
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


# -- the run ---------------------------------------------------------------------------


def run_locust(args, port: int, plan_path: Path, ledger_path: Path) -> int:
    env = {**os.environ, "LOAD_PLAN": str(plan_path), "LOAD_LEDGER": str(ledger_path)}
    command = [
        str(BIN / "locust"),
        "-f",
        str(HERE / "locustfile.py"),
        "--headless",
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        f"{args.duration}s",
        "--stop-timeout",
        "30",
        "--host",
        f"http://127.0.0.1:{port}",
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    # locust's own summary goes to a file: run.py prints its figures from the ledger.
    with open(plan_path.with_name("locust.log"), "wb") as log:
        return subprocess.call(command, cwd=ROOT, env=env, stdout=log, stderr=log)  # noqa: S603


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def summarize(rows: list[dict], seconds: float) -> dict:
    by_action: dict[str, list[dict]] = {}
    for row in rows:
        by_action.setdefault(row["action"], []).append(row)
    table = {}
    for action, items in sorted(by_action.items()):
        times = [item["ms"] for item in items]
        table[action] = {
            "count": len(items),
            "rps": round(len(items) / seconds, 2),
            "p50": round(percentile(times, 0.50)),
            "p95": round(percentile(times, 0.95)),
            "p99": round(percentile(times, 0.99)),
            "mean": round(statistics.fmean(times)),
            "5xx": sum(1 for item in items if item["status"] >= 500),
            "cut": sum(1 for item in items if item["status"] == 0),
            "4xx": sum(1 for item in items if 400 <= item["status"] < 500),
        }
    return table


def print_table(table: dict, seconds: float, total: int) -> None:
    print(f"\n{total} requests in {seconds:.0f} s: {total / seconds:.1f} requests/s")
    print(
        f"{'action':<22}{'count':>7}{'rps':>7}{'p50':>7}{'p95':>7}{'p99':>7}{'4xx':>6}{'5xx':>6}{'cut':>6}"
    )
    for action, row in table.items():
        print(
            f"{action:<22}{row['count']:>7}{row['rps']:>7}{row['p50']:>7}{row['p95']:>7}"
            f"{row['p99']:>7}{row['4xx']:>6}{row['5xx']:>6}{row['cut']:>6}"
        )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--prospects", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=5)
    parser.add_argument("--duration", type=int, default=300, help="seconds of load")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn processes")
    parser.add_argument("--pg-db", default="load_panel")
    parser.add_argument(
        "--fault",
        choices=("none", "sigterm", "sigkill", "pg-terminate", "redis-down"),
        default="none",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument(
        "--reuse-seed",
        action="store_true",
        help="copy the seeded database of this size kept by an earlier run (a PostgreSQL "
        "template or a SQLite file), seeding and keeping it the first time",
    )
    parser.add_argument(
        "--seed-only", action="store_true", help="with --reuse-seed: seed and keep, no load"
    )
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args(argv)
    if args.fault == "pg-terminate" and args.db != "postgresql":
        parser.error("--fault pg-terminate needs --db postgresql")

    import faults  # noqa: PLC0415 - bench/load/faults.py
    from books import check_books  # noqa: PLC0415 - bench/load/books.py

    from core.crypto import generate_instance_keys  # noqa: PLC0415

    workdir = Path(tempfile.mkdtemp(prefix="panel-load-"))
    copied = from_template(args, workdir) if args.reuse_seed else None
    if copied is not None:
        url, keys, plan = copied
        print(f"scratch database: {url.split('@')[-1]}, a copy of {template_name(args)}")
    else:
        keys = generate_instance_keys()
        url = make_database(args, workdir)
        print(f"scratch database: {url.split('@')[-1]}; seeding {args.prospects:,} prospects ...")
        plan = seed(url, args, keys, workdir)
        print(f"seeded in {plan['seed_seconds']} s; {len(plan['accounts'])} load accounts")
        if args.db == "postgresql":
            # A live database has autovacuum's statistics; a freshly seeded copy has none,
            # and without them the planner guessed 5,000 cards an office and chose row-by-row
            # walks that no served office would see (the clerk's home page 470 ms at 1M).
            pg_admin("VACUUM (ANALYZE)", dbname=url.rsplit("/", 1)[-1])
        if args.reuse_seed:
            save_template(args, keys, plan, workdir / "load.db")
    if args.seed_only:
        drop_database(args, workdir)
        return 0
    plan_path, ledger_path = workdir / "plan.json", workdir / "ledger.jsonl"
    plan_path.write_text(json.dumps(plan, ensure_ascii=False))
    plan_path.chmod(0o600)

    redis = Redis()
    panel = Panel(url, keys, redis.url, workdir, args.workers)
    fault_report: dict = {}
    striker = None
    try:
        print(
            f"panel on 127.0.0.1:{panel.port} ({len(panel.workers())} workers), Redis on "
            f"{redis.port}; {args.users} users for {args.duration} s"
            + (f", fault {args.fault} at {args.duration // 2} s" if args.fault != "none" else "")
        )
        if args.fault != "none":
            striker = threading.Thread(
                target=faults.strike,
                args=(args.fault, args.duration / 2, panel, redis, args, fault_report),
                daemon=True,
            )
            striker.start()
        started = time.monotonic()
        run_locust(args, panel.port, plan_path, ledger_path)
        seconds = time.monotonic() - started
        if striker is not None:
            striker.join(timeout=60)
    finally:
        panel.stop()
        redis.stop()

    rows = [json.loads(line) for line in ledger_path.read_text(encoding="utf-8").splitlines()]
    # Status -1: sent as the run ended, never answered (kept for the books' request ids).
    measured = [
        row for row in rows if row["action"] not in ("sign in", "home") and row["status"] != -1
    ]
    table = summarize(measured, seconds)
    print(f"machine: {platform.node()} {os.cpu_count()} cores, {platform.python_version()}")
    print(f"database: {args.db}, {args.prospects:,} prospects; {args.users} users")
    print_table(table, seconds, len(measured))
    books = check_books(app_config(url, keys), plan, rows, fault_window=fault_report.get("window"))
    print("\nbooks:")
    for line in books["lines"]:
        print("  " + line)
    if fault_report:
        print("\nfault:")
        for key, value in fault_report.items():
            print(f"  {key}: {value}")
    result = {
        "db": args.db,
        "prospects": args.prospects,
        "users": args.users,
        "duration": args.duration,
        "seconds": round(seconds, 1),
        "rps": round(len(measured) / seconds, 1),
        "actions": table,
        "books": books,
        "fault": fault_report,
        "machine": f"{platform.node()} {os.cpu_count()} cores",
    }
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    drop_database(args, workdir)
    print(f"\nledger and server log: {workdir}")
    stray_5xx = books["unexplained_5xx"]
    return 0 if books["ok"] and not stray_5xx else 1


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    sys.exit(main())
