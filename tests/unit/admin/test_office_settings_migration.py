"""The office settings (migration p7e1c0de30a7): the table comes with today's defaults (recheck
every 180 days, complaints answered within 5 working days) at version 1, holds values above
zero, and the rules read them; downgrade removes it. Runs on a scratch database (SQLite, or
PostgreSQL next to TEST_DATABASE_URL's)."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from app import create_app
from extensions import db
from services.admin import office_settings
from tests.keys import TEST_KEYS
from tests.unit.shared.test_migrations import scratch_url  # noqa: F401 - the fixture

BEFORE, THIS = "o7e1c0de29f6", "p7e1c0de30a7"


def test_settings_get_todays_defaults_and_go_on_downgrade(scratch_url):  # noqa: F811
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": scratch_url,
            "SECRET_KEY": "migrations",
            # an instance's config no longer matters once the rows exist
            "ARCHIVE_RECHECK_DAYS": 90,
            **TEST_KEYS,
        }
    )
    with app.app_context():
        upgrade(revision=BEFORE)
        upgrade(revision=THIS)
        with db.engine.connect() as conn:
            stored = {
                key: (value, version)
                for key, value, version in conn.execute(
                    text("SELECT key, value, version FROM office_settings")
                )
            }
        assert stored == {
            "archive_recheck_days": (180, 1),
            "complaint_answer_workdays": (5, 1),
        }
        assert office_settings.value_of(db.session, "archive_recheck_days") == 180
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(text("UPDATE office_settings SET value = 0"))
        db.session.remove()

        downgrade(revision=BEFORE)
        assert "office_settings" not in inspect(db.engine).get_table_names()
        db.session.remove()
        db.engine.dispose()
