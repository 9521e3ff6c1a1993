"""How cost grows with size: `make bench`'s operations at 100,000, 1,000,000 and 3,000,000 cards.

    .venv/bin/python bench/sizes.py seed 1m --db sqlite|postgresql [--root /tmp/sizes]
    .venv/bin/python bench/sizes.py multiply 3m --source 1m --db sqlite|postgresql
    .venv/bin/python bench/sizes.py measure [--sizes 100k,1m,3m] [--db both] [--rounds 3]
        [--repeat 5] [--export-rounds 1] [--json FILE]
    .venv/bin/python bench/sizes.py report FILE... | chart FILE [--svg docs/img/cost_by_size.svg]
    .venv/bin/python bench/sizes.py explain 1m [--only NAME]
    .venv/bin/python bench/sizes.py env 1m --db postgresql      # PANEL_* keys, for a served app

``seed`` fills a kept database the way bench/run.py does (cards with receptions, consents and
name tokens by ``seed_demo``; owners, now with resident ID numbers, and units; chained access
events), scaled to the size: 0.3 owners and units and 10 access events per card, the events
pointing at the size's own cards. ``multiply`` makes a larger size from a seeded one in SQL
(new ids, a new mobile and ID number per copy; the copied events keep their hashes, so the
chain verifies up to the source's last event only). The SQLite file is ``ROOT/<size>/bench.db``,
the PostgreSQL database ``sizes_<size>`` on 127.0.0.1; keys and the bench account's password in
``ROOT/<size>/{sqlite,pg}-keys.json``, the layout of ``bench/run.py --keep ROOT/<size>
--pg-db sizes_<size>``. The sizes 10k and 30k are for trying the script quickly.

``measure`` times each operation through the app in-process (Flask test client, signed in as
the bench supervisor), ``--repeat`` runs after one warm-up, one fresh process per database and
round, the databases in turn within each round, and prints the median ms per operation by
size (wall, and this process's CPU) and the CSV export of the whole office (rows/s).
``explain`` prints EXPLAIN (ANALYZE, BUFFERS) of every SELECT on customer tables that each page
sends, captured from the page (PostgreSQL). A benchmark, not a test: nothing here asserts a
time. Figures: docs/performance.md, "How cost grows with size".
"""

from __future__ import annotations

import argparse
import hmac
import json
import logging
import os
import random
import shlex
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask_migrate  # noqa: E402
from sqlalchemy import bindparam, create_engine, select, text, update  # noqa: E402

from app import create_app  # noqa: E402
from bench import run as bench_run  # noqa: E402
from core import crypto  # noqa: E402
from core.clock import office_today  # noqa: E402
from core.crypto import generate_instance_keys  # noqa: E402
from demo.common import random_mobile, resident_id  # noqa: E402
from demo.prospects import _bulk_load_mode, _insert_columns  # noqa: E402
from demo.seed import seed_demo  # noqa: E402
from extensions import db  # noqa: E402
from models.privacy.audit import AccessChainHead, AccessEvent  # noqa: E402
from models.property.property import Owner, Unit  # noqa: E402
from services.admin.accounts import create_user  # noqa: E402
from services.admin.staff import record_starting_clearance  # noqa: E402
from services.privacy import audit  # noqa: E402

SIZES = {"10k": 10_000, "30k": 30_000, "100k": 100_000, "1m": 1_000_000, "3m": 3_000_000}
ROOT = Path("/tmp/sizes")  # noqa: S108 (kept bench databases, documented)
PG = "postgresql+psycopg2://postgres@127.0.0.1:5432/"
CHUNK = 50_000


def urls(size: str, root: Path = ROOT) -> dict[str, str]:
    return {
        "sqlite": f"sqlite:///{root / size / 'bench.db'}",
        "postgresql": f"{PG}sizes_{size}",
    }


def keys_file(size: str, dialect: str, root: Path = ROOT) -> Path:
    return root / size / f"{'pg' if dialect == 'postgresql' else 'sqlite'}-keys.json"


def make_app(size: str, dialect: str, root: Path = ROOT):
    saved = json.loads(keys_file(size, dialect, root).read_text())
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": urls(size, root)[dialect],
            "SECRET_KEY": "bench",
            "AUDIT_HMAC_KEY": "bench-audit-key-0123456789",
            "WTF_CSRF_ENABLED": False,
            "EXPORT_MAX_ROWS": 100_000,
            **saved["keys"],
        }
    ), saved["password"]


# --- seeding ----------------------------------------------------------------------------
def _seed_events(count: int, cards: int) -> None:
    """bench/run.py's chain of list/details events, pointing at cards 1..``cards``, loaded
    with the access log's secondary indexes dropped and made again after (COPY on
    PostgreSQL)."""
    key = audit._require_key()
    head = db.session.get(AccessChainHead, 1)
    seq, prev = (head.seq, head.last_hash) if head else (0, "")
    conn = db.session.connection()
    at = datetime(2026, 1, 1)
    step = timedelta(milliseconds=50)
    rng = random.Random(11)
    fixed = {
        "user_id": 3,
        "username": "clerk1",
        "role": "clerk",
        "action": "details",
        "record_type": "prospect",
        "record_ids": None,
        "ip": "10.0.0.8",
        "term_hmac": None,
        "outcome": "ok",
        "path": "prospect.details_view",
    }
    middle = "3\x1fclerk1\x1fclerk\x1fdetails\x1fprospect"
    tail = "ok\x1fprospect.details_view"
    with _bulk_load_mode(conn, (AccessEvent.__table__,)):
        for start in range(0, count, CHUNK):
            size = min(CHUNK, count - start)
            columns: dict[str, list] = {
                name: []
                for name in ("seq", "at", "record_id", "request_id", "prev_hash", "hash", *fixed)
            }
            for n in range(size):
                seq += 1
                at += step
                record_id = rng.randrange(1, cards + 1)
                request_id = f"{seq:032x}"
                # audit._digest's text of the fields, built directly (checked against it below).
                message = (
                    f"{prev}\x1f{seq}\x1f{at.isoformat(timespec='microseconds')}\x1f{middle}"
                    f"\x1f{record_id}\x1f\x1f10.0.0.8\x1f{request_id}\x1f\x1f{tail}"
                )
                digest = hmac.digest(key, message.encode(), "sha256").hex()
                if n == 0:
                    values = {**fixed, "seq": seq, "at": at, "record_id": record_id}
                    values["request_id"] = request_id
                    assert digest == audit._digest(key, prev, values)
                columns["seq"].append(seq)
                columns["at"].append(at)
                columns["record_id"].append(record_id)
                columns["request_id"].append(request_id)
                columns["prev_hash"].append(prev)
                columns["hash"].append(digest)
                prev = digest
            for name, value in fixed.items():
                columns[name] = [value] * size
            _insert_columns(conn, AccessEvent.__table__, columns)
            if start % 1_000_000 == 0:
                print(f"   events {start + size:,}", flush=True)
    if head is None:
        db.session.add(AccessChainHead(id=1, seq=seq, last_hash=prev))
    else:
        head.seq, head.last_hash = seq, prev
    db.session.commit()


def _owner_id_numbers() -> int:
    """Resident ID numbers (encrypted, with their blind index) for the bulk owners, which
    bench/run.py seeds without one, so the exact ID-number search finds a real owner."""
    conn = db.session.connection()
    table = Owner.__table__
    ids = (
        conn.execute(select(table.c.id).where(table.c.id_number.is_(None)).order_by(table.c.id))
        .scalars()
        .all()
    )
    rng = random.Random(21)
    change = (
        update(table)
        .where(table.c.id == bindparam("owner"))
        .values(id_number=bindparam("number"), id_number_bidx=bindparam("bidx"))
    )
    index = crypto.get_keyring().blind_index
    for start in range(0, len(ids), CHUNK):
        rows = []
        for owner in ids[start : start + CHUNK]:
            born = date(1950, 1, 1) + timedelta(days=rng.randrange(50 * 365))
            number = resident_id(rng, born)
            rows.append({"owner": owner, "number": number, "bidx": index(number, crypto.ID_NUMBER)})
        conn.execute(change, rows)
    db.session.commit()
    return len(ids)


def owner_ids(size: str, dialect: str, root: Path) -> None:
    app, _password = make_app(size, dialect, root)
    with app.app_context():
        started = time.perf_counter()
        count = _owner_id_numbers()
        db.session.execute(text("ANALYZE owners"))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    print(
        f"{dialect} {size}: {count:,} owners' ID numbers in {time.perf_counter() - started:.0f} s"
    )


def _finish(dialect: str, cards: int, password: str, timings: dict) -> None:
    """The chained access events, the bench account, and fresh planner statistics."""
    started = time.perf_counter()
    _seed_events(cards * 10, cards)
    timings["events"] = time.perf_counter() - started
    bench_user = create_user(
        db.session, username="bench", password=password, role_code="supervisor", full_name="基准"
    )
    record_starting_clearance(db.session, bench_user, office_today())
    db.session.commit()
    started = time.perf_counter()
    if dialect == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    timings["analyze"] = time.perf_counter() - started


def finish(size: str, dialect: str, root: Path) -> None:
    """What ``seed`` does after the owners, on a database whose seeding stopped there."""
    app, password = make_app(size, dialect, root)
    timings: dict = {}
    with app.app_context():
        started = time.perf_counter()
        timings["owner_ids"] = _owner_id_numbers()
        timings["owner_ids_s"] = time.perf_counter() - started
        _finish(dialect, SIZES[size], password, timings)
        db.session.remove()
        db.engine.dispose()
    print(f"{dialect} {size}: finished: {timings}", flush=True)


def seed(size: str, dialect: str, root: Path) -> None:
    cards = SIZES[size]
    workdir = root / size
    workdir.mkdir(parents=True, exist_ok=True)
    secrets_path = keys_file(size, dialect, root)
    if dialect == "postgresql":
        engine = create_engine(PG + "postgres", isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "sizes_{size}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "sizes_{size}"'))
        engine.dispose()
    else:
        for name in ("bench.db", "bench.db-wal", "bench.db-shm"):
            (workdir / name).unlink(missing_ok=True)
    secrets_path.write_text(
        json.dumps({"keys": generate_instance_keys(), "password": bench_run.PASSWORD})
    )
    secrets_path.chmod(0o600)
    app, password = make_app(size, dialect, root)
    timings = {}
    with app.app_context():
        flask_migrate.upgrade()
        logging.getLogger("alembic").setLevel(logging.WARNING)
        db.session.remove()
        started = time.perf_counter()
        seed_demo(
            db.session,
            prospect_count=cards,
            accounts_file=str(workdir / f"{dialect}-accounts.txt"),
        )
        timings["cards"] = time.perf_counter() - started
        started = time.perf_counter()
        bench_run._seed_owners_and_units(int(cards * 0.3))
        _owner_id_numbers()
        timings["owners_units"] = time.perf_counter() - started
        _finish(dialect, cards, password, timings)
        db.session.remove()
        db.engine.dispose()
    print(
        f"{dialect} {size}: seeded in " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()),
        flush=True,
    )


# --- a larger size from a smaller one ----------------------------------------------------
def _columns(table) -> list[str]:
    return [c.name for c in table.columns]


def _copy_rows(conn, table, *, where: str, changed: dict[str, str], join: str = "") -> int:
    """INSERT ... SELECT of ``table``'s rows matching ``where`` (alias ``p``), with the
    ``changed`` columns given as SQL expressions and every other column copied as it is."""
    names = _columns(table)
    picked = ", ".join(changed.get(name, f"p.{name}") for name in names)
    quoted = ", ".join(conn.dialect.identifier_preparer.quote(n) for n in names)
    sql = (
        f"INSERT INTO {table.name} ({quoted}) SELECT {picked} "  # noqa: S608 (bench-made)
        f"FROM {table.name} p {join} WHERE {where}"
    )
    return conn.exec_driver_sql(sql).rowcount


def _fresh_values(conn, name: str, columns: dict[str, list]) -> None:
    """A scratch table ``name`` holding ``columns`` (values already as stored)."""
    from sqlalchemy import Column, Integer, MetaData, Table, Text

    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    table = Table(
        name,
        MetaData(),
        *(Column(c, Integer if c == "id" else Text, primary_key=c == "id") for c in columns),
    )
    table.create(conn)
    _insert_columns(conn, table, columns)


def _copy_database(size: str, source: str, dialect: str, root: Path) -> None:
    workdir = root / size
    workdir.mkdir(parents=True, exist_ok=True)
    if dialect == "sqlite":
        import sqlite3

        for name in ("bench.db", "bench.db-wal", "bench.db-shm"):
            (workdir / name).unlink(missing_ok=True)
        started = time.perf_counter()
        src = sqlite3.connect(root / source / "bench.db")
        src.execute(f"VACUUM INTO '{workdir / 'bench.db'}'")
        src.close()
        print(f"   copied in {time.perf_counter() - started:.0f} s", flush=True)
    else:
        engine = create_engine(PG + "postgres", isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "sizes_{size}" WITH (FORCE)'))
            conn.execute(
                text(
                    f'CREATE DATABASE "sizes_{size}" TEMPLATE "sizes_{source}" STRATEGY = FILE_COPY'
                )
            )
        engine.dispose()
    keys_file(size, dialect, root).write_text(keys_file(source, dialect, root).read_text())
    keys_file(size, dialect, root).chmod(0o600)


def multiply(size: str, source: str, dialect: str, root: Path, steps: str = "all") -> None:
    """``size`` from a copy of the seeded ``source`` (same keys): the cards, their receptions,
    consents and name tokens, the owners (with their tokens) and units, and the access events
    repeated with new ids, each new card and owner with a new mobile (and ID number) of its
    own. The access-event copies keep their hashes: the chain is valid up to the source's
    last event only (audit.verify stops there)."""
    from models.privacy.privacy import ConsentRecord
    from models.sales.prospects import Prospect, Visit

    factor = SIZES[size] // SIZES[source]
    workdir = root / size
    workdir.mkdir(parents=True, exist_ok=True)
    if steps in ("all", "copy"):
        _copy_database(size, source, dialect, root)
    if steps == "copy":
        return
    app, _password = make_app(size, dialect, root)
    rng = random.Random(31)
    with app.app_context():
        conn = db.session.connection()
        one = conn.exec_driver_sql
        card_max = one("SELECT max(id) FROM prospects").scalar()
        visit_max = one("SELECT max(id) FROM prospect_visits").scalar()
        consent_max = one("SELECT max(id) FROM consent_records").scalar()
        owner_top = one("SELECT max(id) FROM owners").scalar()
        unit_top = one("SELECT max(id) FROM units").scalar()
        # bench/run.py's owners and units are the last 0.3 per card, after the demo's.
        owner_max = owner_top
        owner_min = owner_top - int(SIZES[source] * 0.3) + 1
        unit_min = unit_top - int(SIZES[source] * 0.3) + 1
        seq_top, event_top = one("SELECT max(seq), max(id) FROM access_events").one()
        events_span = seq_top  # seconds per copy below: seq * 50 ms, as seeded
        print(f"   cards {card_max:,}, owners {owner_top:,}, events {seq_top:,}", flush=True)
        tables = [
            Prospect.__table__,
            Visit.__table__,
            ConsentRecord.__table__,
            Owner.__table__,
            AccessEvent.__table__,
        ]
        phone = Prospect.__table__.c.mobile.type
        owner_phone = Owner.__table__.c.mobile.type
        owner_idn = Owner.__table__.c.id_number.type
        index = crypto.get_keyring().blind_index
        timings = {}
        with _bulk_load_mode(conn, tables):
            for k in range(1, factor):
                started = time.perf_counter()
                # New mobiles for the copies of cards 1..card_max (keyed by the source id).
                for start in range(1, card_max + 1, 500_000):
                    ids = list(range(start, min(start + 500_000, card_max + 1)))
                    mobiles = [random_mobile(rng) for _ in ids]
                    _fresh_values(
                        conn,
                        "sizes_fresh",
                        {
                            "id": ids,
                            "mobile": [phone.process_bind_param(m, None) for m in mobiles],
                            "bidx": [index(m, crypto.PHONE) for m in mobiles],
                        },
                    )
                    _copy_rows(
                        conn,
                        Prospect.__table__,
                        where=f"p.id BETWEEN {ids[0]} AND {ids[-1]}",
                        join="JOIN sizes_fresh f ON f.id = p.id",
                        changed={
                            "id": f"p.id + {k * card_max}",
                            "mobile": "f.mobile",
                            "mobile_bidx": "f.bidx",
                        },
                    )
                timings[f"cards x{k + 1}"] = time.perf_counter() - started
                started = time.perf_counter()
                _copy_rows(
                    conn,
                    Visit.__table__,
                    where=f"p.prospect_id <= {card_max}",
                    changed={
                        "id": f"p.id + {k * visit_max}",
                        "prospect_id": f"p.prospect_id + {k * card_max}",
                    },
                )
                _copy_rows(
                    conn,
                    ConsentRecord.__table__,
                    where=f"p.subject_type = 'prospect' AND p.subject_id <= {card_max} "
                    f"AND p.id <= {consent_max}",
                    changed={
                        "id": f"p.id + {k * consent_max}",
                        "subject_id": f"p.subject_id + {k * card_max}",
                    },
                )
                one(
                    "INSERT INTO name_search_tokens (kind, token, record_id) "  # noqa: S608
                    f"SELECT kind, token, record_id + {k * card_max} FROM name_search_tokens "
                    f"WHERE kind = 'prospect' AND record_id <= {card_max}"
                )
                timings[f"receptions, consents, tokens x{k + 1}"] = time.perf_counter() - started
                started = time.perf_counter()
                # The bulk owners (bench/run.py's) and their units, with new numbers.
                ids = list(range(owner_min, owner_max + 1))
                mobiles = [f"136{rng.randrange(10**8):08d}" for _ in ids]
                numbers = [
                    resident_id(rng, date(1950, 1, 1) + timedelta(days=rng.randrange(18250)))
                    for _ in ids
                ]
                _fresh_values(
                    conn,
                    "sizes_fresh",
                    {
                        "id": ids,
                        "mobile": [owner_phone.process_bind_param(m, None) for m in mobiles],
                        "bidx": [index(m, crypto.PHONE) for m in mobiles],
                        "idn": [owner_idn.process_bind_param(n, None) for n in numbers],
                        "idn_bidx": [index(n, crypto.ID_NUMBER) for n in numbers],
                    },
                )
                shift = k * (owner_top - owner_min + 1)
                _copy_rows(
                    conn,
                    Owner.__table__,
                    where=f"p.id BETWEEN {owner_min} AND {owner_max}",
                    join="JOIN sizes_fresh f ON f.id = p.id",
                    changed={
                        "id": f"p.id + {shift}",
                        "mobile": "f.mobile",
                        "mobile_bidx": "f.bidx",
                        "id_number": "f.idn",
                        "id_number_bidx": "f.idn_bidx",
                    },
                )
                one(
                    "INSERT INTO name_search_tokens (kind, token, record_id) "  # noqa: S608
                    f"SELECT kind, token, record_id + {shift} FROM name_search_tokens "
                    f"WHERE kind = 'owner' AND record_id BETWEEN {owner_min} AND {owner_max}"
                )
                unit_shift = k * unit_top
                _copy_rows(
                    conn,
                    Unit.__table__,
                    where=f"p.id BETWEEN {unit_min} AND {unit_top}",
                    changed={"id": f"p.id + {unit_shift}", "room": f"p.room || '-{k}'"},
                )
                timings[f"owners, units x{k + 1}"] = time.perf_counter() - started
                started = time.perf_counter()
                seconds = k * events_span // 20 + 1
                if dialect == "postgresql":
                    shifted_at = f"p.at + interval '{seconds} seconds'"
                else:
                    shifted_at = (
                        f"strftime('%Y-%m-%d %H:%M:%f', p.at, '+{seconds} seconds') || '000'"
                    )
                seq = f"p.seq + {k * seq_top}"
                request = (
                    f"lpad(to_hex({seq}), 32, '0')"
                    if dialect == "postgresql"
                    else f"printf('%032x', {seq})"
                )
                _copy_rows(
                    conn,
                    AccessEvent.__table__,
                    where=f"p.seq <= {seq_top} AND p.record_type = 'prospect' "
                    f"AND p.id <= {event_top}",
                    changed={
                        "id": f"p.id + {k * event_top}",
                        "seq": seq,
                        "at": shifted_at,
                        "record_id": f"p.record_id + {k * card_max}",
                        "request_id": request,
                    },
                )
                timings[f"events x{k + 1}"] = time.perf_counter() - started
                print(f"   {timings}", flush=True)
            one("DROP TABLE sizes_fresh")
            started = time.perf_counter()
        # Leaving the block made the dropped indexes (and foreign keys) again.
        timings["indexes"] = time.perf_counter() - started
        last = one("SELECT seq, hash FROM access_events ORDER BY seq DESC LIMIT 1").one()
        conn.execute(
            text("UPDATE access_chain_head SET seq = :s, last_hash = :h WHERE id = 1"),
            {"s": last.seq, "h": last.hash},
        )
        if dialect == "postgresql":
            for table in (
                "prospects",
                "prospect_visits",
                "consent_records",
                "owners",
                "units",
                "access_events",
            ):
                one(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT max(id) + 1 FROM {table}), false)"
                )
        db.session.commit()
        started = time.perf_counter()
        if dialect == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("VACUUM ANALYZE"))
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        timings["analyze"] = time.perf_counter() - started
        db.session.remove()
        db.engine.dispose()
    print(f"{dialect} {size}: made from {source} x{factor}: {timings}", flush=True)


# --- measuring --------------------------------------------------------------------------
#: The operations of `make bench` (bench/run.py), "ours" side, in print order.
OPS = (
    "list page 1",
    "list page 2,000",
    "filter grade B + consultant",
    "search name part 伟",
    "search initials ww",
    "search exact phone",
    "search exact ID number",
    "details page",
)
EXPORT = "export CSV"


def _login(app, password: str):
    client = app.test_client()
    response = client.post("/login", data={"username": "bench", "password": password})
    if response.status_code != 302:
        raise SystemExit("bench user could not sign in")
    return client


def _pages(app, cards: int) -> dict[str, str]:
    """The URL of each operation, for a card and an owner the bench supervisor may see."""
    from models.admin.people import User
    from models.sales.prospects import Prospect
    from services.admin.offices import visible_office_ids

    ours_view = next(
        v for v in app.extensions["admin"][0]._views if getattr(v, "access_key", "") == "prospect"
    )
    bench_user = db.session.scalar(select(User).where(User.username == "bench"))
    offices = sorted(visible_office_ids(bench_user))
    sample = db.session.execute(
        select(Prospect.id, Prospect.mobile, Prospect.consultant_id)
        .where(Prospect.id >= cards // 2, Prospect.office_id.in_(offices))
        .order_by(Prospect.id)
        .limit(1)
    ).one()
    owner = db.session.scalars(
        select(Owner)
        .where(Owner.id_number_bidx.is_not(None), Owner.office_id.in_(offices))
        .order_by(Owner.id.desc())
        .limit(1)
    ).one()
    with app.test_request_context():
        grade = bench_run.filter_index(ours_view, "grade", ("FilterEqual",))
        consultant = bench_run.filter_index(ours_view, "consultant_id", ("LiveOptionsFilter",))
    urls = {
        "list page 1": "/admin/prospect/",
        "list page 2,000": "/admin/prospect/?page=1999",
        "filter grade B + consultant": (
            f"/admin/prospect/?flt0_{grade}=B&flt1_{consultant}={sample.consultant_id}"
        ),
        "search name part 伟": "/admin/prospect/?search=%E4%BC%9F",
        "search initials ww": "/admin/prospect/?search=ww",
        "search exact phone": f"/admin/prospect/?search={sample.mobile}",
        "search exact ID number": f"/admin/owner/?search={owner.id_number}",
        "details page": f"/admin/prospect/details/?id={sample.id}",
        EXPORT: "/admin/prospect/export/csv/",
    }
    db.session.rollback()
    return urls


def child(size: str, dialect: str, root: Path, repeat: int, export: bool) -> None:
    """One round on one database: each operation ``repeat`` times after a warm-up; prints a
    JSON line of wall and CPU seconds."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app, password = make_app(size, dialect, root)
    app.config["EXPORT_MAX_ROWS"] = 10_000_000  # the whole office, so the export grows with it
    client = _login(app, password)
    result: dict = {"size": size, "db": dialect, "wall": {}, "cpu": {}, "load": os.getloadavg()}
    with app.app_context():
        urls = _pages(app, SIZES[size])
    for name in OPS:
        call = bench_run.get(client, urls[name])
        call()
        walls, cpus = [], []
        for _ in range(repeat):
            wall, cpu = time.perf_counter(), time.process_time()
            call()
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        result["wall"][name], result["cpu"][name] = walls, cpus
    if export:
        wall, cpu = time.perf_counter(), time.process_time()
        response = client.get(urls[EXPORT])
        rows = -1
        for chunk in response.response:
            rows += chunk.count(b"\n")
        if response.status_code != 200 or "csv" not in response.headers.get("Content-Type", ""):
            rows = 0
        result["export"] = {
            "rows": rows,
            "wall": time.perf_counter() - wall,
            "cpu": time.process_time() - cpu,
        }
    print("RESULT " + json.dumps(result, ensure_ascii=False), flush=True)


def _available(root: Path, sizes, dialects) -> list[tuple[str, str]]:
    found = []
    for size in sizes:
        for dialect in dialects:
            if keys_file(size, dialect, root).exists():
                found.append((size, dialect))
    return found


def measure(args) -> None:
    import subprocess

    sizes = args.sizes.split(",")
    dialects = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    targets = _available(args.root, sizes, dialects)
    runs: dict = {}
    for round_no in range(args.rounds):
        for size, dialect in targets:
            command = [sys.executable, __file__, "--root", str(args.root), "child", size]
            command += ["--db", dialect, "--repeat", str(args.repeat)]
            if round_no < args.export_rounds:
                command.append("--export")
            out = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
            line = next((x for x in out.stdout.splitlines() if x.startswith("RESULT ")), None)
            if line is None:
                print(f"{dialect} {size}: failed\n{out.stderr[-2000:]}", flush=True)
                continue
            result = json.loads(line[len("RESULT ") :])
            into = runs.setdefault(f"{dialect} {size}", {"wall": {}, "cpu": {}, "export": []})
            for kind in ("wall", "cpu"):
                for name, values in result[kind].items():
                    into[kind].setdefault(name, []).extend(values)
            if "export" in result:
                into["export"].append(result["export"])
            into.setdefault("load", []).append(result["load"][0])
            print(
                f"round {round_no + 1}: {dialect} {size} done, load {result['load'][0]:.1f}",
                flush=True,
            )
    summary = summarise(runs)
    print_table(summary, sizes, dialects)
    if args.json:
        Path(args.json).write_text(json.dumps({"runs": runs, "summary": summary}, indent=1))


def summarise(runs: dict) -> dict:
    summary = {}
    for key, data in runs.items():
        entry = {
            kind: {name: statistics.median(v) * 1e3 for name, v in data[kind].items()}
            for kind in ("wall", "cpu")
        }
        exports = [e for e in data["export"] if e["rows"] > 0]
        if exports:
            entry["export_rows"] = exports[0]["rows"]
            entry["export_s"] = statistics.median(e["wall"] for e in exports)
            entry["export_cpu_s"] = statistics.median(e["cpu"] for e in exports)
        entry["load"] = data.get("load", [])
        summary[key] = entry
    return summary


def print_table(summary: dict, sizes, dialects) -> None:
    for kind in ("wall", "cpu"):
        for dialect in dialects:
            present = [s for s in sizes if f"{dialect} {s}" in summary]
            if not present:
                continue
            label = "median wall ms" if kind == "wall" else "median CPU ms of this process"
            print(f"\n{dialect}, {label}")
            print(f"| operation | {' | '.join(present)} | {present[-1]} / {present[0]} |")
            print("| --- |" + " --- |" * (len(present) + 1))
            for name in OPS:
                values = [summary[f"{dialect} {s}"][kind].get(name) for s in present]
                cells = " | ".join(f"{v:.1f}" if v is not None else "-" for v in values)
                ratio = values[-1] / values[0] if values[0] and values[-1] else float("nan")
                print(f"| {name} | {cells} | {ratio:.2f} |")
            cells, rates = [], []
            for s in present:
                entry = summary[f"{dialect} {s}"]
                if "export_rows" not in entry:
                    cells.append("-")
                    continue
                seconds = entry["export_s" if kind == "wall" else "export_cpu_s"]
                rates.append(entry["export_rows"] / seconds)
                cells.append(
                    f"{entry['export_rows']:,} rows in {seconds:.1f} s = {rates[-1]:,.0f}/s"
                )
            print(f"| {EXPORT} | {' | '.join(cells)} | |")


# --- chart -------------------------------------------------------------------------------
COLOURS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#000000",
)


def chart(results: Path, svg: Path, kind: str = "wall") -> None:
    """A log-log SVG written by hand: one panel per database with the median ms of each page
    against the number of cards (flat is a level line), and one panel with the export's
    whole time (linear rises one decade per decade; the dotted line is exact proportion)."""
    import math

    summary = json.loads(results.read_text())["summary"]
    dialects = [d for d in ("sqlite", "postgresql") if any(k.startswith(d) for k in summary)]
    sizes = [s for s in SIZES if any(k.endswith(f" {s}") for k in summary)]
    cards = [SIZES[s] for s in sizes]
    panel_w, height, left, top, plot_w, plot_h = 330, 300, 50, 40, 250, 210
    x_low, x_high = math.log10(cards[0]), math.log10(cards[-1])

    def series(dialect: str, name: str | None) -> list[tuple[int, float]]:
        points = []
        for size in sizes:
            entry = summary.get(f"{dialect} {size}")
            if entry is None:
                continue
            if name is not None:
                value = entry[kind].get(name)
            else:
                value = entry.get("export_s" if kind == "wall" else "export_cpu_s")
            if value:
                points.append((SIZES[size], value))
        return points

    out: list[str] = []

    def panel(n: int, title: str, unit: str, lines: list[tuple[str, list, str, str]]) -> None:
        x0 = left + n * panel_w
        values = [v for _, points, _, _ in lines for _, v in points]
        y_low = 10 ** math.floor(math.log10(min(values)))
        y_high = 10 ** math.ceil(math.log10(max(values)))

        def xy(count: int, value: float) -> tuple[float, float]:
            x = x0 + (math.log10(count) - x_low) / (x_high - x_low) * plot_w
            share = (math.log10(value) - math.log10(y_low)) / (
                math.log10(y_high) - math.log10(y_low)
            )
            return x, top + plot_h - share * plot_h

        out.append(
            f'<text x="{x0 + plot_w / 2}" y="20" text-anchor="middle" font-size="13" '
            f'font-weight="bold">{title}</text>'
        )
        out.append(
            f'<rect x="{x0}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
            f'stroke="#999"/>'
        )
        decade = y_low
        while decade <= y_high * 1.0001:
            for step in (1, 2, 5):
                tick = decade * step
                if tick > y_high * 1.0001:
                    break
                _, y = xy(cards[0], tick)
                grey = "#ccc" if step == 1 else "#eee"
                out.append(
                    f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + plot_w}" y2="{y:.1f}" '
                    f'stroke="{grey}"/>'
                )
                out.append(f'<text x="{x0 - 4}" y="{y + 4:.1f}" text-anchor="end">{tick:g}</text>')
            decade *= 10
        for count in cards:
            x, _ = xy(count, y_low)
            out.append(
                f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}" stroke="#ddd"/>'
            )
            out.append(
                f'<text x="{x:.1f}" y="{top + plot_h + 15}" text-anchor="middle">{count:,}</text>'
            )
        out.append(
            f'<text x="{x0 + plot_w / 2}" y="{top + plot_h + 32}" text-anchor="middle">'
            f"cards (log); {unit} (log)</text>"
        )
        for _name, points, colour, dash in lines:
            if not points:
                continue
            coords = " ".join("{:.1f},{:.1f}".format(*xy(c, v)) for c, v in points)
            style = f' stroke-dasharray="{dash}"' if dash else ""
            out.append(
                f'<polyline points="{coords}" fill="none" stroke="{colour}" '
                f'stroke-width="2"{style}/>'
            )
            for c, v in points:
                x, y = xy(c, v)
                out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"/>')

    label = "median ms" if kind == "wall" else "median CPU ms"
    for n, dialect in enumerate(dialects):
        lines = [(name, series(dialect, name), COLOURS[i], "") for i, name in enumerate(OPS)]
        panel(n, f"{dialect}: pages, {label}", "ms", lines)
    export_lines = []
    for i, dialect in enumerate(dialects):
        points = series(dialect, None)
        export_lines.append((dialect, points, ("#555", "#c00")[i], ""))
        if points:
            first_cards, first_s = points[0]
            proportional = [(c, first_s * c / first_cards) for c in cards]
            export_lines.append(("linear", proportional, ("#555", "#c00")[i], "2,3"))
    panel(len(dialects), "CSV export of the office, s", "s", export_lines)

    legend_x = left + (len(dialects) + 1) * panel_w - 20
    entries = [(name, COLOURS[i], "") for i, name in enumerate(OPS)]
    entries += [(f"export, {d}", ("#555", "#c00")[i], "") for i, d in enumerate(dialects)]
    entries.append(("export exactly linear", "#555", "2,3"))
    for n, (name, colour, dash) in enumerate(entries):
        y = top + 10 + n * 18
        style = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<line x1="{legend_x}" y1="{y}" x2="{legend_x + 20}" y2="{y}" '
            f'stroke="{colour}" stroke-width="2"{style}/>'
        )
        out.append(f'<text x="{legend_x + 26}" y="{y + 4}">{name}</text>')
    total_w = legend_x + 230
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w}" height="{height + 20}" '
        f'font-family="sans-serif" font-size="11">',
        f'<rect width="{total_w}" height="{height + 20}" fill="white"/>',
    ]
    svg.parent.mkdir(parents=True, exist_ok=True)
    svg.write_text("\n".join([*head, *out, "</svg>"]) + "\n", encoding="utf-8")
    print(f"chart: {svg}")


# --- plans -------------------------------------------------------------------------------
#: Statements on these tables are the pages' own; the rest (accounts, offices, settings,
#: reference lists, the access log's head) are the same on every page and size.
CUSTOMER_TABLES = (
    "prospects",
    "prospect_visits",
    "owners",
    "name_search_tokens",
    "consent_records",
    "access_events",
)


def explain(size: str, root: Path, only: str | None) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of every SELECT on customer tables that each page sends,
    captured from the page itself (PostgreSQL)."""
    from sqlalchemy import event

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app, password = make_app(size, "postgresql", root)
    app.config["EXPORT_MAX_ROWS"] = 10_000_000
    client = _login(app, password)
    with app.app_context():
        urls = _pages(app, SIZES[size])
        engine = db.engine
    captured: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")) and any(
            f" {t}" in statement for t in CUSTOMER_TABLES
        ):
            captured.append((cursor.mogrify(statement, parameters).decode(), statement))

    for name in (*OPS, EXPORT):
        if only and only not in name:
            continue
        client.get(urls[name]).get_data()  # warm, as the timed runs are
        captured.clear()
        event.listen(engine, "before_cursor_execute", capture)
        try:
            client.get(urls[name]).get_data()
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        shown = urls[name]
        if "exact" in name:  # the number itself stays out of the printout
            shown = shown.split("search=")[0] + "search=<the number>"
        print(f"\n### {name}: {shown}  ({len(captured)} statements on customer tables)")
        seen = set()
        with engine.connect() as conn:
            cursor = conn.connection.driver_connection.cursor()
            for sql, template in captured:
                if template in seen and name == EXPORT:
                    continue  # the export's batches: one of each kind
                seen.add(template)
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                print(f"\n{sql}\n{plan}")
            conn.rollback()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT)
    sub = parser.add_subparsers(dest="command", required=True)
    p_seed = sub.add_parser("seed")
    p_seed.add_argument("size", choices=SIZES)
    p_seed.add_argument("--db", choices=("sqlite", "postgresql"), required=True)
    p_env = sub.add_parser("env", help="print the PANEL_* key settings of a kept database")
    p_env.add_argument("size", choices=SIZES)
    p_env.add_argument("--db", choices=("sqlite", "postgresql"), required=True)
    p_report = sub.add_parser("report", help="one table from several measure --json files")
    p_report.add_argument("results", nargs="+")
    p_report.add_argument("--json", metavar="FILE", help="the merged figures")
    p_chart = sub.add_parser("chart", help="SVG of a measure --json file")
    p_chart.add_argument("results", type=Path)
    p_chart.add_argument("--svg", type=Path, default=Path("docs/img/cost_by_size.svg"))
    p_chart.add_argument("--kind", choices=("wall", "cpu"), default="wall")
    p_explain = sub.add_parser("explain", help="EXPLAIN (ANALYZE, BUFFERS) of each page's SQL")
    p_explain.add_argument("size", choices=SIZES)
    p_explain.add_argument("--only", help="operations whose name holds this")
    p_mult = sub.add_parser("multiply", help="a larger size from a seeded one, in SQL")
    p_mult.add_argument("size", choices=SIZES)
    p_mult.add_argument("--source", choices=SIZES, required=True)
    p_mult.add_argument("--db", choices=("sqlite", "postgresql"), required=True)
    p_mult.add_argument("--steps", choices=("all", "copy", "grow"), default="all")
    p_finish = sub.add_parser("finish", help="seed's steps after the owners and units")
    p_finish.add_argument("size", choices=SIZES)
    p_finish.add_argument("--db", choices=("sqlite", "postgresql"), required=True)
    p_ids = sub.add_parser("owner-ids", help="give the bulk owners ID numbers (seed does it)")
    p_ids.add_argument("size", choices=SIZES)
    p_ids.add_argument("--db", choices=("sqlite", "postgresql"), required=True)
    p_child = sub.add_parser("child", help="one round on one database (measure runs it)")
    p_child.add_argument("size", choices=SIZES)
    p_child.add_argument("--db", choices=("sqlite", "postgresql"), required=True)
    p_child.add_argument("--repeat", type=int, default=5)
    p_child.add_argument("--export", action="store_true")
    p_measure = sub.add_parser("measure")
    p_measure.add_argument("--sizes", default="100k,1m,3m")
    p_measure.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    p_measure.add_argument("--rounds", type=int, default=3, help="rounds over the databases")
    p_measure.add_argument("--repeat", type=int, default=5, help="runs per operation a round")
    p_measure.add_argument("--export-rounds", type=int, default=1, help="rounds with an export")
    p_measure.add_argument("--json", metavar="FILE", help="keep the figures (for chart)")
    args = parser.parse_args(argv)
    if args.command not in ("env", "child"):
        now, load = datetime.now(UTC), os.getloadavg()
        print(f"{now:%Y-%m-%d %H:%M} UTC, load average {load}", flush=True)
    if args.command == "seed":
        seed(args.size, args.db, args.root)
    elif args.command == "child":
        child(args.size, args.db, args.root, args.repeat, args.export)
    elif args.command == "measure":
        measure(args)
    elif args.command == "env":
        saved = json.loads(keys_file(args.size, args.db, args.root).read_text())["keys"]
        for name, value in saved.items():
            shown = json.dumps(value) if isinstance(value, dict) else value
            print(f"export PANEL_{name}={shlex.quote(shown)}")
    elif args.command == "report":
        runs = {}
        for path in args.results:
            runs.update(json.loads(Path(path).read_text())["runs"])
        summary = summarise(runs)
        names = {key.split()[1] for key in runs}
        print_table(summary, [s for s in SIZES if s in names], ("sqlite", "postgresql"))
        if args.json:
            Path(args.json).write_text(json.dumps({"runs": runs, "summary": summary}, indent=1))
    elif args.command == "chart":
        chart(args.results, args.svg, args.kind)
    elif args.command == "explain":
        explain(args.size, args.root, args.only)
    elif args.command == "multiply":
        multiply(args.size, args.source, args.db, args.root, args.steps)
    elif args.command == "finish":
        finish(args.size, args.db, args.root)
    elif args.command == "owner-ids":
        owner_ids(args.size, args.db, args.root)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
