"""`make bench`: the panel's lists, searches and exports at scale, against plain Flask-Admin.

    .venv/bin/python bench/run.py [--scale 1.0] [--db sqlite|postgresql|both] [--repeat 20]

Seeds 1,000,000 prospects, 300,000 owners and units and 10,000,000 access-log events (times
``--scale``) into a scratch database (an SQLite file under /tmp; the PostgreSQL database
``bench`` (or ``--pg-db``) on 127.0.0.1, dropped and made again, when it answers), then times
each operation
``--repeat`` times through the Flask test client, signed in as a supervisor:

* ours: the panel's view (role checks, access log, decryption, masking, capped count,
  token and blind-index search);
* plain: a Flask-Admin ``ModelView`` of the same model with no customisation, on its own
  ``Admin`` at /plain (only what it needs to run: search on the name, the two filters, the
  details page and export switched on);
* sql: the bare SQL query behind the page, with the office condition the page adds
  (``office_id IN (<the supervisor's offices>)``, services/admin/offices.py).

It prints p50 and p95 per operation and the ratios ours/plain and ours/sql, then the export
(rows/s, peak Python memory) and the access-log verification (events/s). Figures and the
machine: docs/performance.md. A benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import random
import secrets
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask_migrate  # noqa: E402
from flask_admin import Admin  # noqa: E402
from flask_admin.contrib.sqla import ModelView  # noqa: E402
from flask_admin.theme import Bootstrap4Theme  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402

from app import create_app  # noqa: E402
from core import crypto  # noqa: E402
from core.clock import office_today  # noqa: E402
from core.crypto import generate_instance_keys  # noqa: E402
from demo.prospects import _insert_columns  # noqa: E402
from demo.seed import seed_demo  # noqa: E402
from extensions import db  # noqa: E402
from models.admin.offices import default_office_id  # noqa: E402
from models.admin.people import User  # noqa: E402
from models.admin.reference import ReferenceItem, ReferenceList  # noqa: E402
from models.privacy.audit import AccessChainHead, AccessEvent  # noqa: E402
from models.property.property import Owner, Unit  # noqa: E402
from models.sales.prospects import Prospect  # noqa: E402
from models.shared.approvals import ChangeRequest  # noqa: E402
from services.admin.accounts import create_user  # noqa: E402
from services.admin.offices import visible_office_ids  # noqa: E402
from services.admin.staff import record_starting_clearance  # noqa: E402
from services.privacy import audit  # noqa: E402
from services.shared import name_search  # noqa: E402
from views.shared.encrypted_fields import PanelModelConverter  # noqa: E402

PG_ADMIN_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
PG_BENCH_DB = "bench"
#: A fresh password per run for the bench account in the scratch database.
PASSWORD = secrets.token_urlsafe(16) + "-Aa1"
CHUNK = 20_000


# --- seeding ----------------------------------------------------------------------------
def seed(app, prospects: int, owners: int, events: int, workdir: Path) -> dict:
    timings = {}
    with app.app_context():
        started = time.perf_counter()
        seed_demo(db.session, prospect_count=prospects, accounts_file=str(workdir / "acc.txt"))
        timings["prospects"] = time.perf_counter() - started
        started = time.perf_counter()
        _seed_owners_and_units(owners)
        timings["owners_units"] = time.perf_counter() - started
        started = time.perf_counter()
        _seed_events(events)
        timings["events"] = time.perf_counter() - started
        bench_user = create_user(
            db.session,
            username="bench",
            password=PASSWORD,
            role_code="supervisor",
            full_name="基准",
        )
        # Signed and trained, as the office's staff are (services/admin/staff_clearance.py).
        record_starting_clearance(db.session, bench_user, office_today())
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # VACUUM as autovacuum would have by the time an office works on such a table:
            # without the visibility map every index-only scan reads the table's rows too
            # (the 伟 search's count 13 ms against 5 ms at 1,000,000 cards). Outside a
            # transaction, as VACUUM must run.
            db.session.remove()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM (ANALYZE)"))
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        db.session.remove()
    return timings


def _seed_owners_and_units(count: int) -> None:
    if count <= 0:
        return
    conn = db.session.connection()
    project = db.session.scalar(
        select(ReferenceItem.id)
        .join(ReferenceList)
        .where(ReferenceList.code == "project")
        .order_by(ReferenceItem.id)
    )
    first_owner = (db.session.scalar(select(func.max(Owner.id))) or 0) + 1
    first_unit = (db.session.scalar(select(func.max(Unit.id))) or 0) + 1
    rng = random.Random(7)
    surnames, given = (
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗",
        "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚",
    )
    index = crypto.get_keyring().blind_index
    now = datetime.now(UTC).replace(tzinfo=None)
    # Core inserts skip the ORM event that places a row in its office: all in the first one,
    # as in a database migrated into one office.
    office = {"office_id": [default_office_id(db.session)] * CHUNK}
    for start in range(0, count, CHUNK):
        size = min(CHUNK, count - start)
        ids = list(range(first_owner + start, first_owner + start + size))
        names = [rng.choice(surnames) + rng.choice(given) + rng.choice(given) for _ in ids]
        mobiles = [f"136{rng.randrange(10**8):08d}" for _ in ids]
        _insert_columns(
            conn,
            Owner.__table__,
            {
                "id": ids,
                "name": names,
                "mobile": mobiles,
                "mobile_bidx": [index(m, crypto.PHONE) for m in mobiles],
                "created_at": [now] * size,
                "updated_at": [now] * size,
                "version": [1] * size,
                "office_id": office["office_id"][:size],
            },
        )
        name_search.bulk_tokens(conn, "owner", zip(ids, names, strict=True))
        unit_ids = list(range(first_unit + start, first_unit + start + size))
        _insert_columns(
            conn,
            Unit.__table__,
            {
                "id": unit_ids,
                "project_id": [project] * size,
                "building": [f"B{n // 1000}" for n in range(start, start + size)],
                "room": [f"R{n}" for n in range(start, start + size)],
                "created_at": [now] * size,
                "updated_at": [now] * size,
                "version": [1] * size,
                "office_id": office["office_id"][:size],
            },
        )
    db.session.commit()


def _seed_events(count: int) -> None:
    """A valid hash chain of ``count`` list/details events, appended after the demo's."""
    if count <= 0:
        return
    key = audit._require_key()
    head = db.session.get(AccessChainHead, 1)
    seq, prev = (head.seq, head.last_hash) if head else (0, "")
    conn = db.session.connection()
    at = datetime(2026, 1, 1)
    rng = random.Random(11)
    for start in range(0, count, CHUNK):
        rows = []
        for _ in range(min(CHUNK, count - start)):
            seq += 1
            at += timedelta(milliseconds=50)
            record_id = rng.randrange(1, 1_000_000)
            values = {
                "seq": seq,
                "at": at,
                "user_id": 3,
                "username": "clerk1",
                "role": "clerk",
                "action": "details",
                "record_type": "prospect",
                "record_id": record_id,
                "record_ids": None,
                "ip": "10.0.0.8",
                "request_id": f"{seq:032x}",
                "term_hmac": None,
                "outcome": "ok",
                "path": "prospect.details_view",
            }
            digest = audit._digest(key, prev, values)
            rows.append({**values, "prev_hash": prev, "hash": digest})
            prev = digest
        conn.execute(AccessEvent.__table__.insert(), rows)
    if head is None:
        db.session.add(AccessChainHead(id=1, seq=seq, last_hash=prev))
    else:
        head.seq, head.last_hash = seq, prev
    db.session.commit()


# --- the plain Flask-Admin -------------------------------------------------------------
class PlainProspects(ModelView):
    # Only what the compared operations need; everything else is Flask-Admin's default.
    column_searchable_list = ("name",)
    column_filters = ("grade", "consultant_id")
    can_view_details = True
    can_export = True
    export_max_rows = 100_000
    # Flask-Admin has no converter for an encrypted column; forms are not compared.
    model_form_converter = PanelModelConverter


def add_plain_admin(app) -> None:
    plain = Admin(app, name="plain", url="/plain", endpoint="plain", theme=Bootstrap4Theme())
    plain.add_view(PlainProspects(Prospect, db, endpoint="plain_prospect", url="/plain/prospect"))
    plain.add_view(ModelView(ChangeRequest, db, endpoint="plain_changes", url="/plain/changes"))


def filter_index(view, column_name: str, kinds: tuple[str, ...]) -> int:
    for i, flt in enumerate(view._filters):
        column = getattr(flt, "column", None)
        name = getattr(column, "key", None) or getattr(column, "name", None)
        if name == column_name and type(flt).__name__ in kinds:
            return i
    raise LookupError(column_name)


# --- timing -----------------------------------------------------------------------------
#: Wall time by default; ``--cpu`` takes the process's CPU time instead.
CLOCK = time.perf_counter


def timed(fn, repeat: int) -> list[float]:
    fn()  # warm caches and compiled statements
    runs = []
    for _ in range(repeat):
        started = CLOCK()
        fn()
        runs.append(CLOCK() - started)
    return runs


def pct(runs: list[float], q: float) -> float:
    ordered = sorted(runs)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def get(client, url: str, expect: str | None = None):
    def call():
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code}")
        body = response.get_data()
        if expect is not None and expect.encode() not in body:
            raise RuntimeError(f"{url}: {expect!r} not on the page")
        return body

    return call


def sql(statement: str, **params):
    # The page's office condition, in front of the query's own (every list filters by it).
    statement = statement.replace("WHERE ", "WHERE " + OFFICE_SQL + " AND ", 1)
    if " WHERE " not in statement:
        statement = statement.replace(" ORDER BY", " WHERE " + OFFICE_SQL + " ORDER BY", 1)

    def call():
        return db.session.execute(text(statement), params).all()

    return call


#: ``office_id IN (...)`` of the bench account, as services.admin.offices.office_clause adds it.
OFFICE_SQL = "office_id IN (1)"


def run(url: str, args, workdir: Path) -> None:
    global PASSWORD, OFFICE_SQL  # the kept database's bench account keeps its password
    # The keys and the bench account's password are kept next to the database, so a kept
    # database (--keep) can be measured again without seeding it again.
    secrets_file = workdir / f"{'pg' if url.startswith('postgresql') else 'sqlite'}-keys.json"
    reuse = args.keep is not None and secrets_file.exists()
    saved = (
        json.loads(secrets_file.read_text())
        if reuse
        else {
            "keys": generate_instance_keys(),
            "password": PASSWORD,
        }
    )
    secrets_file.write_text(json.dumps(saved))
    secrets_file.chmod(0o600)
    PASSWORD = saved["password"]
    config = {
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "bench",
        "AUDIT_HMAC_KEY": "bench-audit-key-0123456789",
        "WTF_CSRF_ENABLED": False,
        "EXPORT_MAX_ROWS": 100_000,
        **saved["keys"],
    }
    app = create_app(config)
    dialect = "postgresql" if url.startswith("postgresql") else "sqlite"
    prospects = int(1_000_000 * args.scale)
    owners = int(300_000 * args.scale)
    events = int(10_000_000 * args.scale)
    with app.app_context():
        flask_migrate.upgrade()
        logging.getLogger("alembic").setLevel(logging.WARNING)
        db.session.remove()
    print(
        f"\n== {dialect}: seeding {prospects:,} prospects, {owners:,} owners and units, "
        f"{events:,} access events",
        flush=True,
    )
    if reuse:
        print("   kept database: not seeded again", flush=True)
    else:
        seeded = seed(app, prospects, owners, events, workdir)
        print("   seeded in " + ", ".join(f"{k} {v:.0f} s" for k, v in seeded.items()), flush=True)

    add_plain_admin(app)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    client = app.test_client()
    response = client.post("/login", data={"username": "bench", "password": PASSWORD})
    if response.status_code != 302:
        raise SystemExit("bench user could not sign in")

    with app.app_context():
        ours_view = next(
            v
            for v in app.extensions["admin"][0]._views
            if getattr(v, "access_key", "") == "prospect"
        )
        plain_view = next(
            v for v in app.extensions["admin"][1]._views if v.endpoint == "plain_prospect"
        )

        bench_user = db.session.scalar(select(User).where(User.username == "bench"))
        offices = sorted(visible_office_ids(bench_user))
        OFFICE_SQL = f"office_id IN ({', '.join(str(i) for i in offices)})"
        print(f"   the supervisor's office condition: {OFFICE_SQL}", flush=True)
        # A card of the supervisor's offices (another office's card is a 404 for them).
        sample = db.session.execute(
            select(Prospect.id, Prospect.mobile, Prospect.consultant_id)
            .where(Prospect.id >= prospects // 2, Prospect.office_id.in_(offices))
            .order_by(Prospect.id)
            .limit(1)
        ).one()
        consultant = sample.consultant_id
        with app.test_request_context():
            ours_grade = filter_index(ours_view, "grade", ("FilterEqual",))
            ours_consultant = filter_index(ours_view, "consultant_id", ("LiveOptionsFilter",))
            plain_grade = filter_index(plain_view, "grade", ("FilterEqual",))
            plain_consultant = filter_index(plain_view, "consultant_id", ("IntEqualFilter",))
        deep = 1999  # page 2,000 (pages count from 0 in the URL)
        ops = [
            (
                "list page 1",
                get(client, "/admin/prospect/"),
                get(client, "/plain/prospect/"),
                sql("SELECT * FROM prospects ORDER BY id DESC LIMIT 20"),
            ),
            (
                "list page 2,000",
                get(client, f"/admin/prospect/?page={deep}"),
                get(client, f"/plain/prospect/?page={deep}"),
                sql("SELECT * FROM prospects ORDER BY id DESC LIMIT 20 OFFSET 39980"),
            ),
            (
                "search name part 伟",
                get(client, "/admin/prospect/?search=%E4%BC%9F"),
                get(client, "/plain/prospect/?search=%E4%BC%9F"),
                sql(
                    "SELECT * FROM prospects WHERE id IN (SELECT record_id FROM "
                    "name_search_tokens WHERE kind='prospect' AND token=:t) "
                    "ORDER BY id DESC LIMIT 20",
                    t="伟",
                ),
            ),
            (
                "search pinyin initials ww",
                get(client, "/admin/prospect/?search=ww"),
                get(client, "/plain/prospect/?search=ww"),
                sql(
                    "SELECT * FROM prospects WHERE id IN (SELECT record_id FROM "
                    "name_search_tokens WHERE kind='prospect' AND token >= 'ww' AND token < 'wx')"
                    " ORDER BY id DESC LIMIT 20"
                ),
            ),
            (
                "search exact phone",
                get(client, f"/admin/prospect/?search={sample.mobile}"),
                get(client, f"/plain/prospect/?search={sample.mobile}"),
                sql(
                    "SELECT * FROM prospects WHERE mobile_bidx = :h ORDER BY id DESC LIMIT 20",
                    h=crypto.blind_index(sample.mobile, crypto.PHONE),
                ),
            ),
            (
                "filter grade B + consultant",
                get(
                    client,
                    f"/admin/prospect/?flt0_{ours_grade}=B&flt1_{ours_consultant}={consultant}",
                ),
                get(
                    client,
                    f"/plain/prospect/?flt0_{plain_grade}=B&flt1_{plain_consultant}={consultant}",
                ),
                sql(
                    "SELECT * FROM prospects WHERE grade='B' AND consultant_id=:c "
                    "ORDER BY id DESC LIMIT 20",
                    c=consultant,
                ),
            ),
            (
                "details page",
                get(client, f"/admin/prospect/details/?id={sample.id}"),
                get(client, f"/plain/prospect/details/?id={sample.id}"),
                sql("SELECT * FROM prospects WHERE id = :i", i=sample.id),
            ),
            (
                "approvals queue",
                get(client, "/admin/approvals/"),
                get(client, "/plain/changes/"),
                sql(
                    "SELECT * FROM change_requests WHERE status='pending' "
                    "ORDER BY requested_at LIMIT 50"
                ),
            ),
        ]
        print(
            f"\n{'operation':32} {'ours p50/p95 ms':>18} {'plain p50/p95 ms':>18} "
            f"{'sql p50 ms':>10} {'ours/plain':>10} {'ours/sql':>9}"
        )
        for name, ours, plain, bare in ops:
            o, p, s = timed(ours, args.repeat), timed(plain, args.repeat), timed(bare, args.repeat)
            print(
                f"{name:32} {pct(o, 0.5) * 1e3:8.1f}/{pct(o, 0.95) * 1e3:<8.1f} "
                f"{pct(p, 0.5) * 1e3:8.1f}/{pct(p, 0.95) * 1e3:<8.1f} {pct(s, 0.5) * 1e3:10.2f} "
                f"{pct(o, 0.5) / pct(p, 0.5):10.3f} {pct(o, 0.5) / max(pct(s, 0.5), 1e-9):9.1f}",
                flush=True,
            )
            db.session.rollback()

        export_rows = min(100_000, prospects)
        for label, url in (
            ("ours csv", "/admin/prospect/export/csv/"),
            ("plain csv", "/plain/prospect/export/csv/"),
        ):
            started = CLOCK()
            body = client.get(url).get_data()
            seconds = CLOCK() - started
            tracemalloc.start()
            client.get(url).get_data()
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            rows = body.count(b"\n") - 1
            print(
                f"export {label:10} {rows:,} rows in {seconds:.2f} s = {rows / seconds:,.0f} rows/s;"
                f" peak Python memory {peak / 2**20:.0f} MB (target rows {export_rows:,})",
                flush=True,
            )

        rates = []
        for _ in range(3):
            started = CLOCK()
            result = audit.verify(db.session)
            rates.append(result.checked / (CLOCK() - started))
            db.session.rollback()
        print(
            f"audit verify: {result.checked:,} events, ok={result.ok}; "
            f"{statistics.median(rates):,.0f} events/s median of 3 (best {max(rates):,.0f})",
            flush=True,
        )
        db.session.remove()
        db.engine.dispose()


def _pg_answers() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 (any failure means: no PostgreSQL here)
        return False


def _fresh_pg(name: str) -> None:
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full sizes")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="time with this process's CPU clock, not wall time: on a machine shared with "
        "other work, waiting for a core is not counted (SQLite runs in this process; "
        "PostgreSQL's own work is then not counted)",
    )
    parser.add_argument(
        "--pg-db",
        default=PG_BENCH_DB,
        metavar="NAME",
        help="PostgreSQL database to drop, make again and seed (default: bench)",
    )
    parser.add_argument(
        "--keep",
        metavar="DIR",
        help="keep the seeded database (and its keys) in DIR, and reuse it when it is there",
    )
    args = parser.parse_args(argv)
    global CLOCK
    if args.cpu:
        CLOCK = time.process_time
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
        f"Python {platform.python_version()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )
    with tempfile.TemporaryDirectory(prefix="panel-bench-") as tmp:
        workdir = Path(args.keep or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        if args.db in ("sqlite", "both"):
            run(f"sqlite:///{workdir / 'bench.db'}", args, workdir)
        if args.db in ("postgresql", "both"):
            if _pg_answers():
                if not (args.keep and (workdir / "pg-keys.json").exists()):
                    _fresh_pg(args.pg_db)
                run(f"postgresql+psycopg2://postgres@127.0.0.1:5432/{args.pg_db}", args, workdir)
            else:
                print("PostgreSQL not answering on 127.0.0.1:5432: skipped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
