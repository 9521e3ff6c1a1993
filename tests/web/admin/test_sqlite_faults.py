"""SQLite under real faults: another writer holding the file's lock past the busy timeout, a
database the panel may not write, and a full disk. Each way the user gets a clear message in Chinese, never
a 500, and nothing is half-written: a form comes back with what was typed and "the database
refused the change, nothing was saved" (views/shared/mixins/failures.py); any other page is
the "try again" page (503, views/shared/errors.py). SQLite only (skipped on PostgreSQL); about
6 s, most of it the 5 s busy timeout (app.py) waited out once.
"""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import event, func, select

from core.clock import office_today
from extensions import db
from models.sales.prospects import Prospect, Visit
from tests.factories import ref_item
from tests.web.conftest import as_chinese_reader_sees

pytestmark = pytest.mark.day_sensitive


@pytest.fixture
def sqlite_file(app) -> str:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("sqlite:///"):
        pytest.skip("SQLite faults")
    return url.removeprefix("sqlite:///")


def _form(app, mobile: str) -> dict:
    with app.app_context():
        source = ref_item(db.session, "source_channel", "walk_in").id
    return {
        "consent_given": "y",
        "name": "锁测试",
        "mobile": mobile,
        "landline": "",
        "source": str(source),
        "grade": "B",
        "progress": "follow_up",
        "notes": "",
        "visits-0-visited_on": office_today().isoformat(),
        "visits-0-summary": "首次来访。",
    }


def _cards_and_visits(app) -> tuple[int, int]:
    with app.app_context():
        cards = db.session.scalar(select(func.count()).select_from(Prospect))
        visits = db.session.scalar(select(func.count()).select_from(Visit))
        db.session.remove()
    return cards, visits


REFUSED = "The database refused the change. Nothing was saved."


def _assert_clear_refusal(app, response) -> None:
    page = response.get_data(as_text=True)
    if response.status_code == 503:
        assert response.headers["Retry-After"] == "5" and "请稍后重试" in page
    else:
        # The form again, with the typing kept and the refusal said.
        assert response.status_code == 200
        assert as_chinese_reader_sees(app, REFUSED) in page and "锁测试" in page
    for detail in ("Traceback", "OperationalError", "locked", "readonly", "INSERT"):
        assert detail not in page


def test_a_writer_holding_the_lock_gives_a_503_and_nothing_half_written(
    app, client, login_as, sqlite_file
):
    login_as("clerk")
    before = _cards_and_visits(app)
    other = sqlite3.connect(sqlite_file, timeout=1, isolation_level=None)
    try:
        # Another process's write transaction: SQLite lets one writer at a time.
        other.execute("BEGIN IMMEDIATE")
        response = client.post("/admin/prospect/new/", data=_form(app, "13812340001"))
    finally:
        other.execute("ROLLBACK")
        other.close()
    _assert_clear_refusal(app, response)
    assert _cards_and_visits(app) == before  # neither the card nor its visit
    # The same action again, once the other writer is done, goes through once.
    response = client.post("/admin/prospect/new/", data=_form(app, "13812340001"))
    assert response.status_code == 302
    assert _cards_and_visits(app) == (before[0] + 1, before[1] + 1)


def test_a_database_refusing_writes_gives_a_clear_error_and_nothing_half_written(
    app, client, login_as, sqlite_file
):
    login_as("clerk")
    before = _cards_and_visits(app)
    with app.app_context():
        engine = db.engine

    # The tests run as root, which file permissions do not stop; query_only makes SQLite
    # refuse every write with the same error as a read-only file ("attempt to write a
    # readonly database", SQLITE_READONLY).
    def read_only(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA query_only=ON")

    engine.dispose()
    event.listen(engine, "connect", read_only)
    try:
        response = client.post("/admin/prospect/new/", data=_form(app, "13812340002"))
        listing = client.get("/admin/prospect/")
    finally:
        event.remove(engine, "connect", read_only)
        engine.dispose()
    _assert_clear_refusal(app, response)
    # Reading pages write their access-log event: with the file read-only they say so too.
    assert listing.status_code in (200, 503)
    assert _cards_and_visits(app) == before


def test_a_full_disk_gives_a_clear_error_and_nothing_half_written(
    app, client, login_as, sqlite_file
):
    """SQLITE_FULL ("database or disk is full"), as when the disk fills: max_page_count caps
    the file at the pages it has, after a VACUUM left no free page to reuse, so a card whose
    notes need new pages cannot be written."""
    login_as("clerk")
    before = _cards_and_visits(app)
    with app.app_context():
        engine = db.engine
    engine.dispose()
    with sqlite3.connect(sqlite_file, isolation_level=None) as direct:
        direct.execute("VACUUM")
        pages = direct.execute("PRAGMA page_count").fetchone()[0]
        assert direct.execute("PRAGMA freelist_count").fetchone()[0] == 0

    def full_disk(dbapi_connection, _record, _proxy):
        dbapi_connection.execute(f"PRAGMA max_page_count={pages}")

    def disk_cleared(dbapi_connection, _record, _proxy):
        dbapi_connection.execute("PRAGMA max_page_count=1073741823")

    form = {**_form(app, "13812340003"), "notes": "看房记录" * 500}
    # On every checkout: the pool may hand out a connection opened before the cap.
    event.listen(engine, "checkout", full_disk)
    try:
        response = client.post("/admin/prospect/new/", data=form)
    finally:
        event.remove(engine, "checkout", full_disk)
        event.listen(engine, "checkout", disk_cleared)
    _assert_clear_refusal(app, response)
    assert "full" not in response.get_data(as_text=True)
    assert _cards_and_visits(app) == before
    # Space again (the disk was cleared): the same card goes through once.
    try:
        response = client.post("/admin/prospect/new/", data=form)
    finally:
        event.remove(engine, "checkout", disk_cleared)
    assert response.status_code == 302
    assert _cards_and_visits(app) == (before[0] + 1, before[1] + 1)
