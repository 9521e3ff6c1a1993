"""Every moment a person reads goes through core.clock.office_time, and the access log's time
filter reads what it is typed in: Beijing time (issue 25)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from extensions import db
from models.privacy.audit import AccessEvent
from services.privacy import audit, customer_copy
from views.privacy import retention
from views.privacy.audit import AuditView, OfficeTimeBetweenFilter

pytestmark = pytest.mark.instant()

# 2026-11-24 16:30 UTC is already 2026-11-25 00:30 in Shanghai.
AFTER_MIDNIGHT_UTC = datetime(2026, 11, 24, 16, 30, 45, 123456)

#: "UTC" as a word: a page's random CSRF token may hold the letters (…4KUTCnAy…).
UTC_WORD = re.compile(r"\bUTC\b")


def test_the_retention_page_and_the_customers_copy_use_the_office_format():
    assert retention.beijing(AFTER_MIDNIGHT_UTC) == "2026-11-25 00:30"
    assert retention.beijing(None) == ""
    shown = customer_copy.cell(AFTER_MIDNIGHT_UTC)
    assert shown == datetime(2026, 11, 25, 0, 30)
    assert customer_copy.text(shown) == "2026-11-25 00:30"
    assert customer_copy.text(date(2026, 11, 25)) == "2026-11-25"


def test_the_lookup_desk_shows_beijing_time():
    from views.archive.archive_desk import fmt

    assert fmt(AFTER_MIDNIGHT_UTC) == "2026-11-25 00:30"
    assert fmt(date(2026, 12, 6)) == "2026-12-06"
    assert fmt(None) == ""


def test_the_filter_reads_beijing_time_and_queries_utc():
    flt = OfficeTimeBetweenFilter(AccessEvent.at, "when")
    start, end = flt.clean("2026-11-25 00:00:00 to 2026-11-25 08:00:00")
    # Shanghai midnight is 16:00 UTC of the day before.
    assert (start, end) == (datetime(2026, 11, 24, 16, 0), datetime(2026, 11, 25, 0, 0))


def test_the_access_log_filter_is_labelled_and_applied_in_beijing_time(app, client, login_as):
    login_as("admin")
    with app.app_context():
        # Two sign-ins: 23:30 and 00:30 Beijing time, either side of the office's midnight.
        for username, at in (
            ("before.midnight", AFTER_MIDNIGHT_UTC - timedelta(hours=1)),
            ("after.midnight", AFTER_MIDNIGHT_UTC),
        ):
            with time_machine.travel(at.replace(tzinfo=UTC), tick=False):
                audit.record(db.session, audit.Actor(None, username, "clerk"), "login")
                db.session.commit()
        view = next(v for v in app.extensions["admin"][0]._views if isinstance(v, AuditView))
        arg = next(
            view.get_filter_arg(i, f)
            for i, f in enumerate(view._filters)
            if isinstance(f, OfficeTimeBetweenFilter)
        )
    page = client.get("/admin/audit/").get_data(as_text=True)
    assert "时间（北京时间）" in page and not UTC_WORD.search(page)
    page = client.get(
        "/admin/audit/",
        query_string={f"flt0_{arg}": "2026-11-25 00:00:00 to 2026-11-25 23:59:59"},
    ).get_data(as_text=True)
    assert "after.midnight" in page and "before.midnight" not in page
