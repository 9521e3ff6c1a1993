"""The office's "today": one function every due date, overdue flag and weekly count reads.

The office works in Asia/Shanghai whatever the server's zone. Tests (and only tests) may
move the date with ``FAKE_TODAY`` (an ISO date in the app config) to show a follow-up
becoming overdue or a past week's count in a browser; a production app ignores it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
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


#: How people see a moment: Beijing time, to the minute (docs/daily-work.md "Dates and times").
MINUTE_FORMAT = "%Y-%m-%d %H:%M"


def office_time(moment: datetime | date | None) -> str:
    """A stored moment as the office reads it: 2026-12-06 09:30 in Beijing time.

    The database keeps naive UTC (models.base.utcnow); an aware moment is converted from its
    own zone. A date has no zone and shows as 2026-12-06. Seconds are never shown.
    """
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        return in_office_zone(moment).strftime(MINUTE_FORMAT)
    if isinstance(moment, date):
        return moment.isoformat()
    return str(moment)


def office_window(start: datetime, end: datetime) -> str:
    """A span of time: "2026-12-06 08:00 – 09:00", with the end's date when it is another day."""
    first, last = in_office_zone(start), in_office_zone(end)
    shown_end = last.strftime("%H:%M" if first.date() == last.date() else MINUTE_FORMAT)
    return f"{first.strftime(MINUTE_FORMAT)} – {shown_end}"


def in_office_zone(moment: datetime) -> datetime:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(OFFICE_TZ)


def utc_from_office(moment: datetime) -> datetime:
    """A moment typed in Beijing time (naive) as the database keeps it: naive UTC."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=OFFICE_TZ)
    return aware.astimezone(UTC).replace(tzinfo=None)
