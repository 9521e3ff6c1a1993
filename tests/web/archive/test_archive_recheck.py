"""Paper files due for their regular recheck, listed for the custodian by last check date."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from extensions import db
from models.archive.archives import ArchiveFile
from models.privacy.audit import AccessEvent
from services.archive import archive_recheck
from tests.factories import make_user

# Relative to the office's today: make test repeats these at NAMED_INSTANTS.
pytestmark = pytest.mark.day_sensitive


def _files(app, today) -> dict[str, int]:
    with app.app_context():
        rows = {
            "NEVER": (None, "in_room"),
            "OLD": (today - timedelta(days=200), "lent_out"),
            "EXACT": (today - timedelta(days=180), "in_room"),
            "RECENT": (today - timedelta(days=10), "in_room"),
            "GONE": (None, "destroyed"),
        }
        ids = {}
        for code, (checked, state) in rows.items():
            archive_file = ArchiveFile(
                code=code, title=f"档案{code}", room="一号室", last_checked_on=checked, state=state
            )
            db.session.add(archive_file)
            db.session.flush()
            ids[code] = archive_file.id
        db.session.commit()
        return ids


def test_due_files_are_the_never_and_long_unchecked_ones(app, today):
    _files(app, today)
    with app.app_context():
        custodian = make_user(db.session, "custodian")
        due = archive_recheck.due_files(db.session, today, 180, custodian)
        assert [f.code for f in due] == ["NEVER", "OLD", "EXACT"]
        assert archive_recheck.due_count(db.session, today, 180, custodian) == 3
        assert archive_recheck.due_count(db.session, today, 365, custodian) == 1


def test_the_custodian_records_a_recheck_once(app, client, login_as, today):
    ids = _files(app, today)
    login_as("custodian")
    page = client.get("/admin/archive-recheck/").get_data(as_text=True)
    assert 'data-file="OLD"' in page and 'data-file="RECENT"' not in page
    assert "从未复核" in page  # the never-checked file says so, in Chinese

    assert client.post(f"/admin/archive-recheck/{ids['OLD']}/rechecked").status_code == 302
    with app.app_context():
        assert db.session.get(ArchiveFile, ids["OLD"]).last_checked_on == today
        events = db.session.scalars(
            select(AccessEvent).where(AccessEvent.action == "archive_recheck")
        ).all()
        assert [e.record_id for e in events] == [ids["OLD"]]
    # A second click (a page opened before the first) changes nothing.
    again = client.post(f"/admin/archive-recheck/{ids['OLD']}/rechecked", follow_redirects=True)
    assert "无需复核" in again.get_data(as_text=True)
    page = client.get("/admin/archive-recheck/").get_data(as_text=True)
    assert 'data-file="OLD"' not in page


@pytest.mark.parametrize("role", ["clerk", "supervisor", "admin", "region_manager"])
def test_only_the_custodian_opens_the_recheck_list(client, login_as, role):
    login_as(role)
    assert client.get("/admin/archive-recheck/").status_code == 403


def test_the_custodians_home_counts_the_files_due(app, client, login_as, today):
    _files(app, today)
    login_as("custodian")
    page = client.get("/admin/").get_data(as_text=True)
    tile = page.split('id="stat-recheck-due"', 1)[1]
    assert tile.split('data-count="', 1)[1].startswith('3"')
