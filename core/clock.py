"""The office's "today": one function every due date, overdue flag and weekly count reads.

The office works in Asia/Shanghai whatever the server's zone. Tests (and only tests) may
move the date with ``FAKE_TODAY`` (an ISO date in the app config) to show a follow-up
becoming overdue or a past week's count in a browser; a production app ignores it.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

OFFICE_TZ = ZoneInfo("Asia/Shanghai")


def office_today() -> date:
    """Today in the office's time zone (or the test's fixed date)."""
    if has_app_context() and current_app.testing:
        fake = current_app.config.get("FAKE_TODAY")
        if fake:
            return fake if isinstance(fake, date) else date.fromisoformat(str(fake))
    return datetime.now(OFFICE_TZ).date()
