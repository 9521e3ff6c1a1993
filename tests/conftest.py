"""Test fixtures: one app per test session, a clean database per test.

The database is an SQLite file, or PostgreSQL when TEST_DATABASE_URL names one (make test
runs the suite on both). Under pytest-xdist each worker has its own database.

Time (tests never ask the machine for a date: the office's today is
``core.clock.office_today()``, or the ``today`` fixture):
- a test whose inputs are fixed dates (a form dated 2026-03-14, an import of March) pins the
  instant it was written for with ``@pytest.mark.instant(...)``, so it means the same in
  any year;
- a test marked ``day_sensitive`` (or asking for ``today``) reasons relative to today; make
  test runs it at the real time and again at each of ``NAMED_INSTANTS``
  (``PANEL_TEST_INSTANTS=all`` parametrises it over them);
- ``PANEL_TEST_INSTANT`` moves every unpinned test to one instant (a name or an ISO instant
  with its zone), to try the whole suite at, say, Spring Festival.
"""

from __future__ import annotations

import os
import re
from datetime import date, datetime

import pytest
import time_machine
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, text
from sqlalchemy_utils import create_database, database_exists

from app import create_app
from core.clock import office_today
from extensions import db, limiter
from models.privacy.audit import SQLITE_TRIGGERS
from services.admin import lockdown
from services.admin.standard_data import install_standard_data
from tests.factories import login_as as _login_as
from tests.keys import TEST_KEYS

#: The instants the suite must pass at besides the real time (make test runs the tests
#: marked ``day_sensitive`` at each), by name for PANEL_TEST_INSTANT(S).
NAMED_INSTANTS = {
    # Sunday 07:30 in Shanghai while UTC is still Saturday evening.
    "sunday-morning": "2026-12-05T23:30:00+00:00",
    # 00:30 on Spring Festival (a statutory holiday) in Shanghai, the day before in UTC.
    "spring-festival": "2026-02-16T16:30:00+00:00",
    # New Year's morning in Shanghai: a year the calendar library does not know yet.
    "new-year": "2026-12-31T23:59:00+00:00",
}
#: The instant tests with fixed dates were written at: Wednesday 10:00 in Shanghai.
WRITTEN_AT = "2026-11-25T02:00:00+00:00"


def parse_instant(value: str) -> datetime:
    """A named instant or an ISO instant; a zone is required (an office date is zone-bound)."""
    instant = datetime.fromisoformat(NAMED_INSTANTS.get(value, value))
    if instant.tzinfo is None:
        raise pytest.UsageError(f"test instant {value!r} needs a zone, e.g. +00:00")
    return instant


def _suite_instant() -> datetime | None:
    value = os.environ.get("PANEL_TEST_INSTANT", "").strip()
    return parse_instant(value) if value and value != "now" else None


def _instants_to_repeat_at() -> list[str]:
    value = os.environ.get("PANEL_TEST_INSTANTS", "").strip()
    if not value:
        return []
    names = list(NAMED_INSTANTS) if value == "all" else [v.strip() for v in value.split(",")]
    for name in names:
        parse_instant(name)
    return names


def _is_day_sensitive(node, fixturenames) -> bool:
    if node.get_closest_marker("instant"):
        return False  # pinned: the same at every run, nothing to repeat
    return bool(node.get_closest_marker("day_sensitive")) or "today" in fixturenames


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "instant(iso=WRITTEN_AT): run at that instant, a name of NAMED_INSTANTS or an ISO "
        "instant (time-machine, the clock ticking on)",
    )
    config.addinivalue_line(
        "markers",
        "day_sensitive: depends on the office date; make test also runs it at NAMED_INSTANTS",
    )


def pytest_generate_tests(metafunc):
    instants = _instants_to_repeat_at()
    if instants and _is_day_sensitive(metafunc.definition, metafunc.fixturenames):
        metafunc.parametrize("_travel", instants, indirect=True, ids=instants)


def pytest_collection_modifyitems(items):
    # Asking for the office's today makes a test day-sensitive, marked or not.
    for item in items:
        if _is_day_sensitive(item, item.fixturenames):
            item.add_marker(pytest.mark.day_sensitive)


@pytest.fixture(autouse=True)
def _travel(request):
    """Every test at its pinned instant, else its repetition's instant, else the suite's
    instant, else the real time."""
    marker = request.node.get_closest_marker("instant")
    if marker:
        instant = parse_instant(marker.args[0] if marker.args else WRITTEN_AT)
    elif getattr(request, "param", None):
        instant = parse_instant(request.param)
    else:
        instant = _suite_instant()
    if instant is None:
        yield None
        return
    with time_machine.travel(instant, tick=True):
        yield instant


@pytest.fixture
def today(_travel) -> date:
    """The office's today at the test's instant (never the machine's local date)."""
    return office_today()


class PanelTestClient(FlaskClient):
    """Flask's test client, posting a record's form the way a person does: after opening
    the page. Edit and deletion-request forms carry what the page showed of the record
    (views/shared/concurrency.py); a test that posts one without it gets the hidden fields of the
    page as it is now. Tests about stale pages pass their own and are left alone."""

    def post(self, *args, **kwargs):
        url = args[0] if args else kwargs.get("path")
        data = kwargs.get("data")
        if (
            isinstance(url, str)
            and ("/edit/" in url or "/request-delete/" in url)
            and isinstance(data, dict)
            and "record_version" not in data
        ):
            page = self.get(url)
            if page.status_code == 200:
                shown = dict(_HIDDEN_STATE.findall(page.get_data(as_text=True)))
                kwargs["data"] = {**shown, **data}
        return super().post(*args, **kwargs)


_HIDDEN_STATE = re.compile(r'name="(record_version|record_snapshot)"[^>]*?value="([^"]*)"')


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    # One database per xdist worker, so workers never wipe each other's rows.
    parsed = make_url(url)
    worker_url = parsed.set(database=f"{parsed.database}_{worker}")
    rendered = worker_url.render_as_string(hide_password=False)
    if database_exists(rendered):
        _drop_worker_database(rendered)
    create_database(rendered)
    return rendered


def _drop_worker_database(url: str) -> None:
    """DROP DATABASE ... WITH (FORCE) (PostgreSQL 13+). sqlalchemy_utils' drop_database ends
    the other sessions with pg_terminate_backend and drops at once, but that call does not
    wait for them to go: a CI run's teardown met "is being accessed by other users"."""
    parsed = make_url(url)
    if not parsed.database.startswith("test"):
        raise RuntimeError(f"refusing to drop {parsed.database}: not a test database")
    engine = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    url = _database_url(tmp_path_factory)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-not-for-production",
            "AUDIT_HMAC_KEY": "test-audit-key-not-for-production",
            "SQLALCHEMY_DATABASE_URI": url,
            # argon2 at production cost is ~0.26 s a sign-in; tests sign in hundreds of times.
            "PASSWORD_HASH_PROFILE": "CHEAPEST",
            # Most tests post forms directly; tests/web/shared/test_csrf.py turns CSRF back on.
            "WTF_CSRF_ENABLED": False,
            "SERVER_NAME": None,
            "IMPORT_FOLDER": str(tmp_path_factory.mktemp("imports")),
            **TEST_KEYS,
        }
    )
    app.test_client_class = PanelTestClient
    with app.app_context():
        db.drop_all()
        db.create_all()
        # create_all builds the head schema (tests/unit/shared/test_migrations.py checks it):
        # say so, as `flask db upgrade` would, for /readyz.
        with db.engine.begin() as connection:
            # A version stamped by an earlier run may name a revision since removed.
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
            MigrationContext.configure(connection).stamp(
                ScriptDirectory(app.extensions["migrate"].directory), "heads"
            )
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if os.environ.get("PYTEST_XDIST_WORKER") and url.startswith("postgresql"):
        _drop_worker_database(url)


_pg_wipe_statement: str | None = None


def _pg_wipe(session) -> str:
    """One round trip that empties every table and restarts every id sequence.

    DELETE with triggers and foreign keys off (session_replication_role, which the access
    log's append-only trigger obeys too) costs ~5 ms on the suite's small tables; TRUNCATE
    of 45 tables cost ~190 ms, a third of the PostgreSQL pass.
    """
    global _pg_wipe_statement
    if _pg_wipe_statement is None:
        sequences = session.execute(
            text(
                "SELECT quote_ident(sequence_schema) || '.' || quote_ident(sequence_name) "
                "FROM information_schema.sequences WHERE sequence_schema = current_schema()"
            )
        ).scalars()
        tables = reversed(db.metadata.sorted_tables)
        # Names from the models' metadata and the database's own catalogue, not from input.
        deletes = "".join(f"DELETE FROM {table.name};" for table in tables)  # noqa: S608
        resets = ", ".join([f"setval('{name}', 1, false)" for name in sequences] or ["1"])
        _pg_wipe_statement = f"SET LOCAL session_replication_role = replica;{deletes}SELECT {resets}"
    return _pg_wipe_statement


def _wipe(session) -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        session.execute(text(_pg_wipe(session)))
    else:
        # The access log refuses deletes; tests lift the triggers while wiping.
        session.execute(text("DROP TRIGGER IF EXISTS access_events_no_update"))
        session.execute(text("DROP TRIGGER IF EXISTS access_events_no_delete"))
        session.execute(text("PRAGMA defer_foreign_keys=ON"))
        for table in tables:
            session.execute(table.delete())
        for statement in SQLITE_TRIGGERS:
            session.execute(text(statement))


@pytest.fixture(autouse=True)
def clean_db(app, _travel):
    """Every test starts from the standard data alone (roles and reference lists), with no
    failed sign-ins counted against the test client's address."""
    limiter.reset()
    lockdown.forget()  # no test inherits another's lockdown from this process's memory
    with app.app_context():
        _wipe(db.session)
        install_standard_data(db.session)
        db.session.commit()
        db.session.remove()
    yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def login_as(app, client):
    """login_as(role) creates an account of that role and signs in through the real form."""

    def _login(role: str, **kwargs):
        return _login_as(app, client, role, **kwargs)

    return _login
