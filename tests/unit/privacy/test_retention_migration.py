"""The retention periods (migration n7e1c0de28e5): the table comes with the policy's default
per kind; existing batches of welcome cards stay valid and a batch of an unknown kind is
refused; downgrade removes the table and keeps the batches. Runs on a scratch database
(SQLite, or PostgreSQL next to TEST_DATABASE_URL's)."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from app import create_app
from extensions import db
from services.privacy.retention_periods import KINDS
from tests.keys import TEST_KEYS
from tests.unit.shared.test_migrations import scratch_url  # noqa: F401 - the fixture

BEFORE, THIS = "m7e1c0de27d4", "n7e1c0de28e5"
BATCH = (
    "INSERT INTO retention_batches (record_type, cutoff_on, expected, status, requested_at)"
    " VALUES (:kind, '2023-11-26', 3, 'done', '2026-11-20 02:00:00')"
)


def test_periods_get_the_policys_defaults_and_batches_their_kinds(scratch_url):  # noqa: F811
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": scratch_url, "SECRET_KEY": "migrations", **TEST_KEYS}
    )
    with app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            conn.execute(text(BATCH), {"kind": "prospect"})
        upgrade(revision=THIS)
        with db.engine.connect() as conn:
            stored = dict(conn.execute(text("SELECT kind, days FROM retention_periods")).all())
        assert stored == {code: kind.default_days for code, kind in KINDS.items()}
        with db.engine.begin() as conn:
            conn.execute(text(BATCH), {"kind": "access_log"})
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(text(BATCH), {"kind": "bogus"})
        with pytest.raises(IntegrityError), db.engine.begin() as conn:  # the status CHECK stays
            conn.execute(text(BATCH.replace("'done'", "'bogus'")), {"kind": "owner"})

        downgrade(revision=BEFORE)
        assert "retention_periods" not in inspect(db.engine).get_table_names()
        with db.engine.connect() as conn:
            kinds = conn.execute(text("SELECT record_type FROM retention_batches")).scalars()
            assert sorted(kinds) == ["access_log", "prospect"]
        db.session.remove()
        db.engine.dispose()
