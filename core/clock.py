"""The office's "today": one function every due date, overdue flag and weekly count reads.

The office works in its own time zone (the OFFICE_TIMEZONE setting, Asia/Shanghai by default)
whatever the server's zone; ``office_tz()`` is the one place that reads it. Tests (and only
tests) may move the date with ``FAKE_TODAY`` (an ISO date in the app config) to show a follow-up
becoming overdue or a past week's count in a browser; a production app ignores it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, has_app_context

#: The zone when no app is running (a script, a unit test without an app) or none is set.
DEFAULT_OFFICE_TIMEZONE = "Asia/Shanghai"
#: The default zone itself, kept importable for code that runs outside an app. Code inside an
#: app calls office_tz(), which follows the setting.
OFFICE_TZ = ZoneInfo(DEFAULT_OFFICE_TIMEZONE)


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def office_tz() -> ZoneInfo:
    """The office's time zone: the app's OFFICE_TIMEZONE (checked at start-up), else the default."""
    if has_app_context():
        return _zone(current_app.config.get("OFFICE_TIMEZONE") or DEFAULT_OFFICE_TIMEZONE)
    return OFFICE_TZ


def timezone_problem(name: object) -> str | None:
    """One line saying why ``name`` cannot be the office's time zone, or None."""
    if not isinstance(name, str) or not name.strip():
        return "OFFICE_TIMEZONE is empty; set an IANA zone such as Asia/Shanghai"
    try:
        _zone(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"OFFICE_TIMEZONE {name!r} is not a known time zone (e.g. Asia/Shanghai)"
    return None


def office_today() -> date:
    """Today in the office's time zone (or the test's fixed date)."""
    if has_app_context() and current_app.testing:
        fake = current_app.config.get("FAKE_TODAY")
        if fake:
            return fake if isinstance(fake, date) else date.fromisoformat(str(fake))
    return datetime.now(office_tz()).date()


#: How people see a moment: office time (Beijing time by default), to the minute
#: (docs/daily-work.md "Dates and times").
MINUTE_FORMAT = "%Y-%m-%d %H:%M"


def office_time(moment: datetime | date | None) -> str:
    """A stored moment as the office reads it: 2026-12-06 09:30 in the office's zone.

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
    return aware.astimezone(office_tz())


def utc_from_office(moment: datetime) -> datetime:
    """A moment typed in office time (naive) as the database keeps it: naive UTC."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=office_tz())
    return aware.astimezone(UTC).replace(tzinfo=None)


def office_midnight_utc(day: date) -> datetime:
    """The office's midnight starting ``day``, as the database keeps moments: naive UTC."""
    return utc_from_office(datetime.combine(day, datetime.min.time()))
