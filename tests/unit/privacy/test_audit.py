"""The hash-chained, append-only access log (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from extensions import db
from models.privacy.audit import SQLITE_TRIGGERS, AccessEvent
from services.privacy import audit

ACTOR = audit.Actor(7, "li.clerk", "clerk", "10.0.0.1", "req-1")


def _write(app, n=5, **kwargs):
    with app.app_context():
        for i in range(n):
            audit.record(
                db.session, ACTOR, "details", record_type="prospect", record_id=i + 1, **kwargs
            )
        db.session.commit()


def _verify(app) -> audit.Verification:
    with app.app_context():
        return audit.verify(db.session)


def _tamper(app, sql: str) -> None:
    """Change the log behind the application's back, as an intruder with SQL access would."""
    with app.app_context():
        engine = db.engine
        with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                conn.execute(text("DROP TRIGGER access_events_no_update"))
                conn.execute(text("DROP TRIGGER access_events_no_delete"))
                conn.execute(text(sql))
                for statement in SQLITE_TRIGGERS:
                    conn.execute(text(statement))
            else:
                conn.execute(
                    text("ALTER TABLE access_events DISABLE TRIGGER access_events_no_change")
                )
                conn.execute(text(sql))
                conn.execute(
                    text("ALTER TABLE access_events ENABLE TRIGGER access_events_no_change")
                )


def test_a_clean_chain_verifies(app):
    _write(app, 10)
    result = _verify(app)
    assert result.ok and result.checked == 10


def test_search_terms_are_kept_as_hmac(app):
    _write(app, 1, term="13812345678")
    with app.app_context():
        event = db.session.scalars(select(AccessEvent)).one()
        assert event.term_hmac and "13812345678" not in event.term_hmac
        assert event.term_hmac == audit.term_hmac(" 13812345678 ")


def test_the_application_cannot_change_or_delete_events(app):
    _write(app, 2)
    with app.app_context():
        # The triggers' own message (models/privacy/audit.py), the same on SQLite and PostgreSQL.
        with pytest.raises(DatabaseError, match="access_events is append-only"):
            db.session.execute(text("UPDATE access_events SET action = 'x'"))
        db.session.rollback()
        with pytest.raises(DatabaseError, match="access_events is append-only"):
            db.session.execute(text("DELETE FROM access_events"))
        db.session.rollback()


def test_one_altered_event_is_found(app):
    _write(app, 6)
    _tamper(app, "UPDATE access_events SET user_id = 99 WHERE seq = 4")
    result = _verify(app)
    assert not result.ok and result.first_bad_seq == 4 and result.problem == "altered event"


def test_a_deleted_middle_event_is_found(app):
    _write(app, 6)
    _tamper(app, "DELETE FROM access_events WHERE seq = 3")
    result = _verify(app)
    assert not result.ok and result.first_bad_seq == 3


def test_deleting_the_last_events_is_found(app):
    _write(app, 6)
    _tamper(app, "DELETE FROM access_events WHERE seq >= 5")
    result = _verify(app)
    assert not result.ok and result.first_bad_seq == 5
    assert result.problem == "events missing at the end"


def test_chain_stays_linear_under_20_concurrent_writers(app):
    writers, per_writer = 20, 5
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write():
        with app.app_context():
            session = Session(bind=db.engine)
            try:
                barrier.wait()
                for _ in range(per_writer):
                    audit.record(session, ACTOR, "list", record_type="prospect", record_ids=[1, 2])
                    session.commit()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                session.rollback()
            finally:
                session.close()

    threads = [threading.Thread(target=write) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors[:3]
    result = _verify(app)
    assert result.ok and result.checked == writers * per_writer
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AccessEvent)) == 100


def test_verify_command(app):
    _write(app, 3)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "3 events verified" in result.output
    _tamper(app, "UPDATE access_events SET role = 'admin' WHERE seq = 2")
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code != 0 and "altered event at event 2" in result.output
