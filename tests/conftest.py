"""Test fixtures: one app per test session, a clean database per test.

The database is an SQLite file, or PostgreSQL when TEST_DATABASE_URL names one (make test
runs the suite on both).
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from app import create_app
from extensions import db, limiter
from models.audit import SQLITE_TRIGGERS
from services.standard_data import install_standard_data
from tests.factories import login_as as _login_as
from tests.keys import TEST_KEYS


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-not-for-production",
            "AUDIT_HMAC_KEY": "test-audit-key-not-for-production",
            "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path_factory),
            # Most tests post forms directly; tests/web/test_csrf.py turns CSRF back on.
            "WTF_CSRF_ENABLED": False,
            "SERVER_NAME": None,
            "IMPORT_FOLDER": str(tmp_path_factory.mktemp("imports")),
            **TEST_KEYS,
        }
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _wipe(session) -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(t.name for t in tables)
        session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
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
def clean_db(app):
    """Every test starts from the standard data alone (roles and reference lists), with no
    failed sign-ins counted against the test client's address."""
    limiter.reset()
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
