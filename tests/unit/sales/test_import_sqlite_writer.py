"""The SQLite import's writer thread (services/shared/importer.py ``_Writes``): the job's
thread numbers the rows once the import holds the write lock, the writer inserts them."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from extensions import db
from models.privacy.privacy import ConsentRecord
from models.sales.prospects import Prospect, Visit
from services.shared import importer, name_search
from tests.factories import make_prospect, make_user, ref_item
from tests.importing import HEADERS, good_row, write_xlsx

pytestmark = pytest.mark.instant()
CONSENT = importer.ConsentBasis("consent", "购房咨询", "2026-01")


@pytest.fixture
def s(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's writer")
        ref_item(db.session, "source_channel", "walk_in")  # label 来访 in the standard list
        yield db.session
        db.session.rollback()


@pytest.fixture
def user(s):
    account = make_user(s, "clerk")
    s.commit()
    return account


def _import(s, user, path, **extra):
    return importer.import_file(
        s,
        user,
        path,
        importer.guess_mapping(HEADERS),
        skip_rejected=False,
        consent=CONSENT,
        **extra,
    )


def _file(tmp_path, rows: int):
    return write_xlsx(tmp_path / "a.xlsx", [good_row(n) for n in range(1, rows + 1)])


def _writers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "import-writer"]


def _recorded_inserts(monkeypatch, fail_at: int | None = None) -> list[str]:
    """The threads ``_run_inserts`` ran on; the ``fail_at``-th call raises."""
    threads: list[str] = []
    original = importer._run_inserts

    def recorded(conn, statements):
        threads.append(threading.current_thread().name)
        if len(threads) == fail_at:
            raise RuntimeError("the disk is full")
        return original(conn, statements)

    monkeypatch.setattr(importer, "_run_inserts", recorded)
    return threads


def _other_connection(busy_ms: int = 100) -> sqlite3.Connection:
    """A connection of another process, as it were, with a short wait for the write lock."""
    other = sqlite3.connect(db.engine.url.database, timeout=busy_ms / 1000, isolation_level=None)
    other.execute(f"PRAGMA busy_timeout = {busy_ms}")
    return other


def test_the_writer_thread_inserts_the_rows_with_the_ids_in_the_rows_order(
    s, user, tmp_path, monkeypatch
):
    monkeypatch.setattr(importer, "CHUNK", 100)
    threads = _recorded_inserts(monkeypatch)
    outcome = _import(s, user, _file(tmp_path, 250))
    s.commit()
    assert outcome.inserted == 250
    assert set(threads) == {"import-writer"} and not _writers()
    cards = s.execute(select(Prospect.id, Prospect.name).order_by(Prospect.id)).all()
    assert [name for _id, name in cards] == [f"客户{n}" for n in range(1, 251)]
    ids = [card_id for card_id, _name in cards]
    assert ids == list(range(ids[0], ids[0] + 250))
    for card_id, name in cards[::37]:  # each name's tokens carry its own card's id
        tokens = s.scalars(
            select(name_search.NameToken.token).where(name_search.NameToken.record_id == card_id)
        )
        assert set(tokens) == set(name_search.tokens_of(name))
    visits = s.execute(select(Visit.prospect_id, Visit.summary).order_by(Visit.prospect_id))
    assert [card_id for card_id, _summary in visits] == ids
    consents = s.scalars(
        select(ConsentRecord.subject_id).where(ConsentRecord.subject_type == "prospect")
    )
    assert sorted(consents) == ids
    # the encrypted mobile reads back as written (bound through its column type)
    assert s.scalar(select(Prospect).where(Prospect.id == ids[4])).mobile == "13900000005"


def test_a_failing_write_stops_the_import_and_nothing_is_kept(s, user, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "CHUNK", 100)
    threads = _recorded_inserts(monkeypatch, fail_at=6)  # in the second chunk
    with pytest.raises(RuntimeError, match="the disk is full"):
        _import(s, user, _file(tmp_path, 500))
    s.rollback()
    assert s.scalar(select(func.count(Prospect.id))) == 0
    assert s.scalar(select(func.count()).select_from(name_search.NameToken)) == 0
    assert len(threads) == 6 and set(threads) == {"import-writer"}  # nothing sent after it
    assert not _writers()


def test_an_id_taken_already_fails_the_import_and_overwrites_nothing(
    s, user, tmp_path, monkeypatch
):
    kept = make_prospect(s, name="张三")
    s.commit()
    original = importer._Writes._first_id
    # as if the import had numbered from a stale largest id
    monkeypatch.setattr(
        importer._Writes, "_first_id", lambda self, table: original(self, table) - 1
    )
    with pytest.raises(IntegrityError):
        _import(s, user, _file(tmp_path, 20))
    s.rollback()
    assert not _writers()
    assert s.execute(select(Prospect.id, Prospect.name)).all() == [(kept.id, "张三")]


def test_a_card_committed_before_the_first_write_is_numbered_after(s, user, tmp_path, monkeypatch):
    """Another connection commits after the import began but before it took the write lock:
    the import's ids start after that card."""
    original = importer._grow_cache
    theirs = []

    def and_another_commits(conn):
        with Session(db.engine) as other:
            theirs.append(make_prospect(other, name="李四").id)
            other.commit()
        return original(conn)

    monkeypatch.setattr(importer, "_grow_cache", and_another_commits)
    _import(s, user, _file(tmp_path, 30))
    s.commit()
    ids = s.scalars(select(Prospect.id).where(Prospect.name != "李四").order_by(Prospect.id))
    assert min(ids) == theirs[0] + 1
    assert s.scalar(select(func.count(Prospect.id))) == 31


def test_another_writer_waits_for_the_import_and_never_takes_its_ids(
    s, user, tmp_path, monkeypatch
):
    monkeypatch.setattr(importer, "CHUNK", 100)
    other = _other_connection()
    refused = []

    def progress(rows):
        if rows == 100:  # the import holds the write lock from its first chunk on
            try:
                other.execute("INSERT INTO name_search_tokens VALUES ('prospect', 'x', 1)")
            except sqlite3.OperationalError as error:
                refused.append(str(error))

    try:
        _import(s, user, _file(tmp_path, 300), progress=progress)
        s.commit()
        assert refused == ["database is locked"]
        with Session(db.engine) as later:
            after = make_prospect(later, name="王五").id
            later.commit()
    finally:
        other.close()
    ids = list(s.scalars(select(Prospect.id).where(Prospect.name != "王五")))
    assert len(set(ids)) == 300 and after == max(ids) + 1


def test_the_import_fails_clearly_while_another_writer_holds_the_lock(
    s, user, tmp_path, monkeypatch
):
    raw = s.connection().connection.dbapi_connection
    raw.execute("PRAGMA busy_timeout = 100")
    other = _other_connection()
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO name_search_tokens VALUES ('prospect', 'x', 1)")
        with pytest.raises(OperationalError, match="database is locked"):
            _import(s, user, _file(tmp_path, 20))
        s.rollback()
        other.execute("COMMIT")
    finally:
        other.close()
        raw.execute("PRAGMA busy_timeout = 5000")  # as app.py sets it (the pool keeps it)
    assert not _writers()
    assert s.scalar(select(func.count(Prospect.id))) == 0
    assert s.scalar(select(func.count()).select_from(name_search.NameToken)) == 1


def test_the_page_cache_is_raised_for_the_import_only(s, user, tmp_path, monkeypatch):
    before = s.connection().exec_driver_sql("PRAGMA cache_size").scalar()
    during = []
    original = importer._run_inserts

    def recorded(conn, statements):
        during.append(conn.exec_driver_sql("PRAGMA cache_size").scalar())
        return original(conn, statements)

    monkeypatch.setattr(importer, "_run_inserts", recorded)
    _import(s, user, _file(tmp_path, 10))
    assert set(during) == {-importer._SQLITE_IMPORT_CACHE_KIB}
    assert s.connection().exec_driver_sql("PRAGMA cache_size").scalar() == before
    s.commit()


def test_an_in_memory_database_writes_in_the_jobs_thread(app):
    engine = create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    try:
        with app.app_context(), Session(engine) as session:
            writes = importer._Writes(session)
            try:
                assert not writes.pipelined and writes.reads is session
                assert writes._thread is None
            finally:
                writes.abandon()
    finally:
        engine.dispose()


def test_multi_row_inserts_take_every_row_once(app):
    engine = create_engine("sqlite://", poolclass=StaticPool)
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("x", String))
    try:
        with engine.begin() as conn:
            table.create(conn)
            for count in (1, 16, 17, 37, importer._SQLITE_VALUES // 2 + 5):
                conn.execute(table.delete())
                values = [[i, f"x{i}"] for i in range(1, count + 1)]
                statements = importer.sqlite_inserts(conn.dialect, table, ["id", "x"], values)
                assert all(len(p) - 1 <= importer._SQLITE_VALUES for _s, p in statements)
                importer._run_inserts(conn, statements)
                rows = conn.execute(select(table.c.id, table.c.x).order_by(table.c.id)).all()
                assert [list(row) for row in rows] == values
    finally:
        engine.dispose()
