"""Unusual access found in the access log: rules the admin tunes, a scan that raises each
alert once, and the admin's acknowledgement with a note.

Rules (thresholds in ``alert_rules``, defaults below until the admin saves one):
- ``records_per_hour``: an account opened more than N different customer records (details
  or reveal events) within one clock hour;
- ``export_rows_per_day``: an account exported more than M rows within one office day
  (midnight to midnight in the office's time zone);
- ``off_hours``: an account signed in before the office day starts, after it ends (both
  in the office's time zone) or on a non-working day of the Chinese calendar (services/shared/workdays.py).

The scan is idempotent: an alert is keyed by rule, account and window start (a unique key),
so running it again, or two scans at once, raise nothing twice. Every alert raised and
every acknowledgement is itself written to the access log.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.clock import office_midnight_utc, office_tz
from models.admin.people import User
from models.base import utcnow
from models.privacy.audit import AccessEvent
from models.sales.daily import ALERT_RULES, AccessAlert, AlertRule
from services.privacy import audit
from services.shared.workdays import WorkdayCalendar

#: Record types that hold customer data: opening one counts towards records_per_hour.
CUSTOMER_RECORD_TYPES = (
    "prospect",
    "visit",
    "owner",
    "household_member",
    "tenant",
    "lease",
    "dealer",
    "dealer_data_card",
    "potential_dealer_file",
    "dealer_visit",
)
OPEN_ACTIONS = ("details", "details_panels", "reveal")
#: How far back a scan looks by default (the scheduler runs it much more often).
DEFAULT_SCAN_HOURS = 48
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True)
class RuleSettings:
    code: str
    enabled: bool
    threshold: int | None = None
    day_starts: str | None = None
    day_ends: str | None = None


DEFAULTS = {
    "records_per_hour": RuleSettings("records_per_hour", True, threshold=50),
    "export_rows_per_day": RuleSettings("export_rows_per_day", True, threshold=1000),
    "off_hours": RuleSettings("off_hours", True, day_starts="07:30", day_ends="21:00"),
}


class AlertError(Exception):
    code = "invalid"


class NotAllowed(AlertError):
    code = "not_allowed"


class InvalidRule(AlertError):
    code = "invalid_rule"


class MissingNote(AlertError):
    code = "missing_note"


class AlreadyAcknowledged(AlertError):
    code = "already_acknowledged"


def rules(session: Session) -> dict[str, RuleSettings]:
    """The settings in force: the admin's saved rows over the defaults."""
    result = dict(DEFAULTS)
    for row in session.scalars(select(AlertRule)):
        result[row.code] = RuleSettings(
            row.code, row.enabled, row.threshold, row.day_starts, row.day_ends
        )
    return result


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def save_rule(
    session: Session,
    user: User,
    actor: audit.Actor,
    code: str,
    *,
    enabled: bool,
    threshold: int | None = None,
    day_starts: str | None = None,
    day_ends: str | None = None,
) -> AlertRule:
    """Store the admin's settings of one rule (validated) and log the change."""
    if not user.has_role("admin"):
        raise NotAllowed
    if code not in ALERT_RULES:
        raise InvalidRule
    if code == "off_hours":
        if not (day_starts and day_ends and _HHMM.match(day_starts) and _HHMM.match(day_ends)):
            raise InvalidRule
        if _minutes(day_starts) >= _minutes(day_ends):
            raise InvalidRule
        threshold = None
    else:
        if threshold is None or threshold < 1:
            raise InvalidRule
        day_starts = day_ends = None
    row = session.scalar(select(AlertRule).where(AlertRule.code == code))
    if row is None:
        row = AlertRule(code=code)
        session.add(row)
    row.enabled, row.threshold = enabled, threshold
    row.day_starts, row.day_ends = day_starts, day_ends
    row.updated_by_id, row.updated_at = user.id, utcnow()
    session.flush()
    audit.record(session, actor, "update", record_type="alert_rule", record_id=row.id)
    return row


# --- time helpers: the log is in naive UTC, the office lives in its zone (core.clock) --------
def to_office(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC).astimezone(office_tz())


@dataclass(frozen=True)
class Finding:
    rule_code: str
    user_id: int
    username: str | None
    window_start: datetime
    window_end: datetime
    value: int


def _records_per_hour(session, settings, since, until) -> list[Finding]:
    opened: dict[tuple[int, datetime], set[int]] = defaultdict(set)
    names: dict[int, str | None] = {}
    rows = session.execute(
        select(
            AccessEvent.user_id, AccessEvent.username, AccessEvent.at, AccessEvent.record_id
        ).where(
            AccessEvent.at >= since,
            AccessEvent.at < until,
            AccessEvent.user_id.is_not(None),
            AccessEvent.outcome == "ok",
            AccessEvent.action.in_(OPEN_ACTIONS),
            AccessEvent.record_type.in_(CUSTOMER_RECORD_TYPES),
            AccessEvent.record_id.is_not(None),
        )
    )
    for user_id, username, at, record_id in rows:
        # The office's clock hour (a zone may be off UTC by a half hour), kept as naive UTC.
        local_hour = to_office(at).replace(minute=0, second=0, microsecond=0)
        hour = local_hour.astimezone(UTC).replace(tzinfo=None)
        opened[(user_id, hour)].add(record_id)
        names[user_id] = username
    return [
        Finding("records_per_hour", uid, names[uid], hour, hour + timedelta(hours=1), len(ids))
        for (uid, hour), ids in opened.items()
        if len(ids) > settings.threshold
    ]


def _export_rows_per_day(session, settings, since, until) -> list[Finding]:
    rows_out: dict[tuple[int, date], int] = defaultdict(int)
    names: dict[int, str | None] = {}
    rows = session.execute(
        select(
            AccessEvent.user_id, AccessEvent.username, AccessEvent.at, AccessEvent.record_ids
        ).where(
            AccessEvent.at >= since,
            AccessEvent.at < until,
            AccessEvent.user_id.is_not(None),
            AccessEvent.outcome == "ok",
            AccessEvent.action == "export",
        )
    )
    for user_id, username, at, record_ids in rows:
        count = len(record_ids.split(",")) if record_ids else 0
        rows_out[(user_id, to_office(at).date())] += count
        names[user_id] = username
    return [
        Finding(
            "export_rows_per_day",
            uid,
            names[uid],
            office_midnight_utc(day),
            office_midnight_utc(day + timedelta(days=1)),
            total,
        )
        for (uid, day), total in rows_out.items()
        if total > settings.threshold
    ]


def is_off_hours(local: datetime, settings: RuleSettings, calendar: WorkdayCalendar) -> bool:
    """Outside [day_starts, day_ends) office time, or on a non-working day."""
    minute = local.hour * 60 + local.minute
    if minute < _minutes(settings.day_starts) or minute >= _minutes(settings.day_ends):
        return True
    return not calendar.is_workday(local.date())


def _off_hours(session, settings, since, until) -> list[Finding]:
    calendar = WorkdayCalendar.from_session(session)
    found: dict[tuple[int, date], int] = defaultdict(int)
    names: dict[int, str | None] = {}
    rows = session.execute(
        select(AccessEvent.user_id, AccessEvent.username, AccessEvent.at).where(
            AccessEvent.at >= since,
            AccessEvent.at < until,
            AccessEvent.user_id.is_not(None),
            AccessEvent.outcome == "ok",
            AccessEvent.action == "login",
        )
    )
    for user_id, username, at in rows:
        local = to_office(at)
        if is_off_hours(local, settings, calendar):
            found[(user_id, local.date())] += 1
            names[user_id] = username
    return [
        Finding(
            "off_hours",
            uid,
            names[uid],
            office_midnight_utc(day),
            office_midnight_utc(day + timedelta(days=1)),
            n,
        )
        for (uid, day), n in found.items()
    ]


_CHECKS = {
    "records_per_hour": _records_per_hour,
    "export_rows_per_day": _export_rows_per_day,
    "off_hours": _off_hours,
}


def find(session: Session, since: datetime, until: datetime) -> list[Finding]:
    """What the enabled rules find in the log between ``since`` and ``until`` (naive UTC)."""
    findings: list[Finding] = []
    for code, settings in rules(session).items():
        if settings.enabled:
            findings += _CHECKS[code](session, settings, since, until)
    return sorted(findings, key=lambda f: (f.window_start, f.rule_code, f.user_id))


def scan(
    session: Session, *, now: datetime | None = None, hours: int = DEFAULT_SCAN_HOURS
) -> list[AccessAlert]:
    """Raise the alerts not raised yet for the last ``hours`` (from the office midnight
    before, so a day's exports are counted whole); returns the new ones."""
    now = now or utcnow()
    since = office_midnight_utc(to_office(now - timedelta(hours=hours)).date())
    raised = [_raise(session, finding) for finding in find(session, since, now)]
    return [alert for alert in raised if alert is not None]


def _raise(session: Session, finding: Finding) -> AccessAlert | None:
    """Store one finding as an alert unless raised already; log it. None when it existed."""
    exists = session.scalar(
        select(AccessAlert.id).where(
            AccessAlert.rule_code == finding.rule_code,
            AccessAlert.user_id == finding.user_id,
            AccessAlert.window_start == finding.window_start,
        )
    )
    if exists:
        return None
    alert = AccessAlert(**finding.__dict__, raised_at=utcnow())
    try:
        with session.begin_nested():
            session.add(alert)
            session.flush()
    except IntegrityError:
        return None  # a concurrent scan raised it first
    audit.record(session, audit.SYSTEM, "alert", record_type="access_alert", record_id=alert.id)
    return alert


def check_sign_in(
    session: Session, user_id: int, username: str | None, at: datetime
) -> AccessAlert | None:
    """Evaluate the off-hours rule for one sign-in as it happens (the scan would find it
    later anyway; this only makes the alert immediate)."""
    settings = rules(session)["off_hours"]
    if not settings.enabled:
        return None
    local = to_office(at)
    if not is_off_hours(local, settings, WorkdayCalendar.from_session(session)):
        return None
    day = local.date()
    start, end = office_midnight_utc(day), office_midnight_utc(day + timedelta(days=1))
    return _raise(session, Finding("off_hours", user_id, username, start, end, 1))


def acknowledge(
    session: Session, user: User, actor: audit.Actor, alert_id: int, note: str
) -> AccessAlert:
    """The admin closes an alert with a note; of two at once exactly one wins."""
    if not user.has_role("admin"):
        raise NotAllowed
    note = (note or "").strip()
    if not note:
        raise MissingNote
    changed = session.execute(
        update(AccessAlert)
        .where(AccessAlert.id == alert_id, AccessAlert.acknowledged_at.is_(None))
        .values(acknowledged_by_id=user.id, acknowledged_at=utcnow(), ack_note=note[:2000])
    ).rowcount
    if not changed:
        raise AlreadyAcknowledged
    audit.record(session, actor, "alert_ack", record_type="access_alert", record_id=alert_id)
    alert = session.get(AccessAlert, alert_id)
    session.refresh(alert)
    return alert


def open_count(session: Session) -> int:
    return session.scalar(
        select(func.count()).select_from(AccessAlert).where(AccessAlert.acknowledged_at.is_(None))
    )


def latest(session: Session, *, open_only: bool = False, limit: int = 200) -> list[AccessAlert]:
    query = select(AccessAlert).order_by(AccessAlert.raised_at.desc(), AccessAlert.id.desc())
    if open_only:
        query = query.where(AccessAlert.acknowledged_at.is_(None))
    return list(session.scalars(query.limit(limit)))
