"""The bulk load of demo prospects: a million welcome cards in well under two minutes.

Random choices are drawn a column at a time, rows go to the database many at a time as plain
tuples (SQLite ``executemany``, PostgreSQL ``COPY``), and the secondary indexes are built once
after the load instead of row by row. Figures and the benchmark: docs/demo-data.md.
"""

from __future__ import annotations

import io
import random
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from decimal import Decimal
from functools import cache

from sqlalchemy import Connection, Table, bindparam, func, insert, select, text
from sqlalchemy.orm import Session

from core import crypto
from core.clock import in_office_zone, utc_from_office
from demo.common import GIVEN, MOBILE_PREFIXES, SURNAMES, DemoDataError, reference_items
from models.admin.offices import default_office_id, project_office_id
from models.base import utcnow
from models.sales.prospects import Prospect, Visit
from models.shared.name_search import NameToken
from services.shared import name_search

GRADE_WEIGHTS = (("A", 1), ("B", 3), ("C", 4), ("D", 2), (None, 1))
PROGRESS_WEIGHTS = (("follow_up", 6), ("viewed", 3), ("signed", 1))
OBSERVATIONS = (
    "首次来访，关注学区和交通。",
    "电话咨询，预算有限，想看小户型。",
    "网络留言，询问开盘时间和优惠。",
    "带父母看房，关心电梯和医院。",
    "改善型需求，现住老小区，想换三房。",
)
#: Rows generated and inserted per round; bounds memory, not speed.
PROSPECT_CHUNK = 50_000
#: Only the first cards get receptions: a million cards with visits would be another demo.
PROSPECTS_WITH_VISITS = 20_000
#: Office hours (the office's time zone, core.clock) in which cards are entered.
_HOURS = range(9, 19)


@cache
def _name_pool() -> tuple[str, ...]:
    given = list(dict.fromkeys(GIVEN))
    singles = [s + g for s in SURNAMES for g in given]
    doubles = [s + g + h for s in SURNAMES for g in given for h in given]
    # Repeating the one-character names gives them about a third of the draws.
    return tuple(singles * 40 + doubles)


#: (column, reference list) of the choices on a welcome card.
CARD_CHOICES = (
    ("source_id", "source_channel"),
    ("purpose_id", "purpose"),
    ("timeframe_id", "timeframe"),
    ("unit_nature_id", "unit_nature"),
    ("age_band_id", "age_band"),
    ("housing_id", "housing"),
    ("awareness_id", "awareness"),
    ("area_band_id", "area_band"),
    ("price_band_id", "price_band"),
    ("income_band_id", "income_band"),
    ("customer_type_id", "customer_type"),
    ("need_id", "need"),
    ("district_id", "district"),
)
#: Distinct combinations of the card's choice fields drawn per load (see _Choices).
CARD_PROFILES = 16_384


def bulk_prospects(
    session: Session, rng: random.Random, count, users, projects, offices=None
) -> range:
    """Insert ``count`` prospects (and receptions for the first ones); returns their ids.

    Each card's consultant is a consultant of the sales office holding its project
    (demo.offices); without ``offices``, clerk1 and clerk2 receive every card."""
    ref = {
        code: [item.id for item in reference_items(session, code).values()]
        for code in (*(code for _, code in CARD_CHOICES), "contact_channel")
    }
    session.flush()
    # Core inserts skip the ORM event that places a new row in its office: the sales office
    # holding the card's project.
    fallback = default_office_id(session)
    office_of = {
        project: project_office_id(session, project, "sales") or fallback
        for project in {p.id for p in projects.values()}
    }
    everyone = [users["clerk1"].id, users["clerk2"].id]
    consultants = {
        project: [u.id for u in offices.people(office_of[project], "clerk")] or everyone
        if offices is not None
        else everyone
        for project in office_of
    }
    choices = _Choices(
        rng,
        ref=ref,
        projects=[p.id for p in projects.values()],
        consultants=consultants,
        now=utcnow(),
    )
    conn = session.connection()
    # Ids are given, not returned: the visits of a chunk point to its cards without a
    # RETURNING round trip, and the insert stays a plain executemany.
    first_id = (session.scalar(select(func.max(Prospect.id))) or 0) + 1
    tables = (Prospect.__table__, Visit.__table__)
    with _bulk_load_mode(conn, tables):
        for start in range(0, count, PROSPECT_CHUNK):
            size = min(PROSPECT_CHUNK, count - start)
            cards, visits = _prospect_chunk(rng, choices, first_id + start, size, start)
            cards["office_id"] = [office_of[project] for project in cards["project_id"]]
            by_card = dict(zip(cards["id"], cards["office_id"], strict=True))
            visits["office_id"] = [by_card[card] for card in visits["prospect_id"]]
            _insert_columns(conn, Prospect.__table__, cards)
            _insert_columns(conn, Visit.__table__, visits)
            # The name-search tokens, which ORM events would write for a card entered by hand.
            tokens = name_search.rows_for("prospect", zip(cards["id"], cards["name"], strict=True))
            _insert_columns(
                conn,
                NameToken.__table__,
                {key: [row[key] for row in tokens] for key in ("kind", "token", "record_id")},
            )
    _after_bulk_load(conn, tables)
    return range(first_id, first_id + count)


class _Choices:
    """What the cards are drawn from, prepared once per load.

    Drawing a dozen reference choices per card costs more than inserting it, so the choice
    fields come as ready-made profiles: each card takes one of CARD_PROFILES random
    combinations, which keeps every field's spread while costing one draw per card.
    """

    #: Fields of a profile, in tuple order.
    FIELDS = (
        *(column for column, _ in CARD_CHOICES),
        "project_id",
        "budget_wan",
        "grade",
        "progress",
        "is_scout",
        "consultant_id",
    )

    def __init__(
        self, rng: random.Random, *, ref, projects, consultants: dict[int, list[int]], now: datetime
    ):
        self.ref = ref
        self.now = now
        today = in_office_zone(now).date()
        self.today = today
        days = [today - timedelta(days=n) for n in range(365)]
        # (day, entry time): the card is entered on the day of the reception, office hours.
        self.day_of = [day for day in days for _ in _HOURS]
        self.entered = [
            min(now, utc_from_office(datetime.combine(day, time(hour))))
            for day in days
            for hour in _HOURS
        ]
        budgets = [Decimal(wan) for wan in range(60, 400, 10)]
        grades, grade_weights = zip(*GRADE_WEIGHTS, strict=True)
        stages, stage_weights = zip(*PROGRESS_WEIGHTS, strict=True)
        columns = [rng.choices(ref[code], k=CARD_PROFILES) for _, code in CARD_CHOICES]
        card_projects = rng.choices(projects, k=CARD_PROFILES)
        columns += [
            card_projects,
            rng.choices(budgets, k=CARD_PROFILES),
            rng.choices(grades, grade_weights, k=CARD_PROFILES),
            rng.choices(stages, stage_weights, k=CARD_PROFILES),
            rng.choices((False, True), (99, 1), k=CARD_PROFILES),
            # A consultant of the office selling the card's project (客户归属).
            [rng.choice(consultants[project]) for project in card_projects],
        ]
        self.profiles = list(zip(*columns, strict=True))


def _prospect_chunk(
    rng: random.Random, c: _Choices, first_id: int, size: int, offset: int
) -> tuple[dict[str, list], dict[str, list]]:
    """Columns of ``size`` cards with ids from ``first_id``, and of their receptions."""
    pick = rng.choices
    cards: dict[str, list] = dict(
        zip(c.FIELDS, zip(*pick(c.profiles, k=size), strict=True), strict=True)
    )
    moments = pick(range(len(c.entered)), k=size)
    first_visit = [c.day_of[m] for m in moments]
    created = [c.entered[m] for m in moments]
    numbers = [rng.random() for _ in range(size)]
    cards["id"] = list(range(first_id, first_id + size))
    cards["name"] = pick(_name_pool(), k=size)
    cards["mobile"] = [
        p + f"{int(r * 1e8):08d}"
        for p, r in zip(pick(MOBILE_PREFIXES, k=size), numbers, strict=True)
    ]
    # Core inserts skip the ORM event that keeps the blind index: compute it here.
    index = crypto.get_keyring().blind_index
    cards["mobile_bidx"] = [index(mobile, crypto.PHONE) for mobile in cards["mobile"]]
    cards["first_visit_on"] = first_visit
    cards["last_contact_on"] = list(first_visit)
    cards["created_at"] = created
    cards["updated_at"] = created
    cards["version"] = [1] * size

    visits: dict[str, list] = {
        key: []
        for key in (
            "prospect_id",
            "seq",
            "visited_on",
            "channel_id",
            "consultant_id",
            "summary",
            "created_at",
            "updated_at",
        )
    }
    for n in range(max(0, min(size, PROSPECTS_WITH_VISITS - offset))):
        visited = first_visit[n]
        for seq in range(1, rng.choice((1, 1, 2, 3)) + 1):
            if seq > 1:
                # Follow-ups 3 to 5 days after the previous contact, never in the future.
                visited = min(c.today, visited + timedelta(days=rng.randrange(3, 6)))
            stamp = min(c.now, utc_from_office(datetime.combine(visited, time(rng.choice(_HOURS)))))
            visits["prospect_id"].append(first_id + n)
            visits["seq"].append(seq)
            visits["visited_on"].append(visited)
            visits["channel_id"].append(rng.choice(c.ref["contact_channel"]))
            visits["consultant_id"].append(cards["consultant_id"][n])
            visits["summary"].append(rng.choice(OBSERVATIONS))
            visits["created_at"].append(stamp)
            visits["updated_at"].append(stamp)
        cards["last_contact_on"][n] = visited
    return cards, visits


def _insert_columns(conn: Connection, table: Table, columns: dict[str, list]) -> None:
    """Insert rows given column by column (every list the same length)."""
    names = list(columns)
    if not columns[names[0]]:
        return
    compiled = insert(table).values({n: bindparam(n) for n in names}).compile(dialect=conn.dialect)
    if set(compiled.binds) != set(names):
        # The compiler added a column with a Python-side default that has no values here.
        raise DemoDataError(f"bulk insert into {table.name}: give every defaulted column")
    values = {name: _bound(table.c[name].type, conn.dialect, columns[name]) for name in names}
    if conn.dialect.name == "sqlite":
        _insert_sqlite(conn, compiled.string, [values[name] for name in compiled.positiontup])
    elif conn.dialect.driver == "psycopg2":
        _copy(conn, table, values)
    else:
        rows = zip(*columns.values(), strict=True)
        conn.execute(insert(table), [dict(zip(names, row, strict=True)) for row in rows])


#: Rows per multi-row INSERT on SQLite (bounded by its limit on bound parameters).
SQLITE_ROWS_PER_STATEMENT = 500


def _insert_sqlite(conn: Connection, single_row_insert: str, columns: list[list]) -> None:
    """Many rows per INSERT, many INSERTs per executemany: one statement of 500 rows costs
    SQLite half as much as 500 statements of one, and sqlite3 walks the parameters in C."""
    head, placeholders = single_row_insert.split(" VALUES ")
    width, count = len(columns), len(columns[0])
    limit = conn.connection.driver_connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per_statement = max(1, min(SQLITE_ROWS_PER_STATEMENT, limit // width))

    def parameters(start: int, rows: int) -> tuple:
        # Row-major parameters straight from the columns by slice assignment, no row tuples.
        flat: list = [None] * (rows * width)
        for n, column in enumerate(columns):
            flat[n::width] = column[start : start + rows]
        return tuple(flat)

    def statement(rows: int) -> str:
        return f"{head} VALUES {', '.join([placeholders] * rows)}"

    whole = count - count % per_statement
    if whole:
        conn.exec_driver_sql(
            statement(per_statement),
            [parameters(start, per_statement) for start in range(0, whole, per_statement)],
        )
    if whole < count:
        conn.exec_driver_sql(statement(count - whole), parameters(whole, count - whole))


#: COPY's text format: backslash, tab and line breaks are escaped, NULL is \N.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_field(value) -> str:
    return "\\N" if value is None else str(value).translate(_COPY_ESCAPES)


def _copy(conn: Connection, table: Table, values: dict[str, list]) -> None:
    """PostgreSQL: the rows through one COPY, the fastest way in."""
    fields = []
    for column in values.values():
        as_text = {v: _copy_field(v) for v in set(column)}
        fields.append([as_text[v] for v in column])
    data = io.StringIO("\n".join(map("\t".join, zip(*fields, strict=True))) + "\n")
    preparer = conn.dialect.identifier_preparer
    sql = "COPY {} ({}) FROM STDIN".format(
        preparer.format_table(table), ", ".join(preparer.quote(name) for name in values)
    )
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.copy_expert(sql, data)
    finally:
        cursor.close()


def _bound(type_, dialect, values: list) -> list:
    """``values`` as the database driver takes them (dates as text on SQLite...)."""
    processor = type_.dialect_impl(dialect).bind_processor(dialect)
    if processor is None:
        return values
    if values and isinstance(values[0], str):
        # Text through a processor may be encrypted: each value on its own.
        return [processor(v) for v in values]
    # Dates, times, decimals and flags repeat a lot: convert each distinct value once.
    converted = {v: processor(v) for v in set(values)}
    return [converted[v] for v in values]


def _load_blockers(conn: Connection, table: Table) -> list[tuple[str, str]]:
    """(DROP, CREATE) statements of what slows a bulk load of ``table`` and can wait for its
    end: the indexes no constraint needs and, on PostgreSQL, the foreign keys."""
    quote = conn.dialect.identifier_preparer.quote
    if conn.dialect.name == "sqlite":
        indexes = conn.execute(
            text(
                "SELECT name, sql FROM sqlite_master "
                "WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL"
            ),
            {"t": table.name},
        )
        return [(f"DROP INDEX {quote(name)}", ddl) for name, ddl in indexes]
    if conn.dialect.name != "postgresql":
        return []
    indexes = conn.execute(
        text(
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = current_schema() AND tablename = :t "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        ),
        {"t": table.name},
    )
    # A foreign key checks every row on its own; added back, it checks all rows in one query.
    foreign_keys = conn.execute(
        text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = CAST(:t AS regclass) AND contype = 'f'"
        ),
        {"t": table.name},
    )
    alter = f"ALTER TABLE {quote(table.name)}"
    return [(f"DROP INDEX {quote(name)}", ddl) for name, ddl in indexes] + [
        (f"{alter} DROP CONSTRAINT {quote(name)}", f"{alter} ADD CONSTRAINT {quote(name)} {ddl}")
        for name, ddl in foreign_keys
    ]


@contextmanager
def _bulk_load_mode(conn: Connection, tables) -> Iterator[None]:
    """Drop the secondary indexes (and PostgreSQL's foreign keys) of ``tables``, and create
    them again after the block.

    One CREATE INDEX sorts a million keys in seconds; keeping two dozen indexes up to date row
    by row takes minutes. Both databases roll DDL back with the transaction, so a failed load
    leaves the schema as it was.
    """
    saved = [statements for table in tables for statements in _load_blockers(conn, table)]
    for drop, _ in saved:
        conn.exec_driver_sql(drop)
    yield
    for _, create in saved:
        conn.exec_driver_sql(create)


def _after_bulk_load(conn: Connection, tables) -> None:
    """PostgreSQL: move the id sequences past the ids the load gave."""
    if conn.dialect.name != "postgresql":
        return
    quote = conn.dialect.identifier_preparer.quote
    for table in tables:
        conn.execute(
            text(
                "SELECT setval(pg_get_serial_sequence(:t, 'id'), "  # noqa: S608
                f"(SELECT coalesce(max(id), 0) + 1 FROM {quote(table.name)}), false)"
            ),
            {"t": table.name},
        )
