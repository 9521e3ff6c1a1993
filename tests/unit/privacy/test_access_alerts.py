"""Unusual-access rules evaluated from access-log events placed at precise times
(the log is in UTC, the office in Asia/Shanghai, UTC+8)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from extensions import db
from models.privacy.audit import AccessEvent
from models.sales.daily import AccessAlert
from models.shared.calendar import CalendarOverride
from services.privacy import access_alerts, audit
from tests.factories import make_user

# Relative to the office's today: make test repeats these at NAMED_INSTANTS.
pytestmark = pytest.mark.day_sensitive

ACTOR = audit.Actor(1, "admin", "admin")


@pytest.fixture
def s(app):
    with app.app_context():
        yield db.session
        db.session.rollback()


# far above the chain head, so events the services write themselves never collide
_seq = iter(range(10_000_000, 20_000_000))


def event(
    session,
    at: datetime,
    action: str,
    *,
    user_id=5,
    record_type=None,
    record_id=None,
    ids=None,
    outcome="ok",
):
    """An event written straight into the log at ``at`` (naive UTC); the chain is not what
    these tests are about."""
    session.execute(
        insert(AccessEvent).values(
            seq=next(_seq),
            at=at,
            user_id=user_id,
            username=f"user{user_id}",
            role="clerk",
            action=action,
            record_type=record_type,
            record_id=record_id,
            record_ids=",".join(map(str, ids)) if ids else None,
            outcome=outcome,
            prev_hash="",
            hash="x",
        )
    )


def opens(session, start: datetime, n: int, *, user_id=5, step=timedelta(seconds=30)):
    for i in range(n):
        event(
            session,
            start + i * step,
            "details",
            user_id=user_id,
            record_type="prospect",
            record_id=1000 + i,
        )


def _set(session, code, **values):
    admin = make_user(session, "admin")
    access_alerts.save_rule(session, admin, ACTOR, code, **values)


def test_records_per_hour_counts_distinct_records_within_one_clock_hour(s):
    _set(s, "records_per_hour", enabled=True, threshold=3)
    # 4 different cards between 02:00 and 02:59:59 UTC (10:00-11:00 in Shanghai): alert
    opens(s, datetime(2026, 11, 18, 2, 0, 0), 4, step=timedelta(minutes=19, seconds=59))
    # the same card opened many times counts once; other record types do not count
    for minute in range(10):
        event(s, datetime(2026, 11, 18, 4, minute), "details", record_type="prospect", record_id=1)
    event(s, datetime(2026, 11, 18, 4, 30), "details", record_type="user", record_id=2)
    event(s, datetime(2026, 11, 18, 4, 31), "details", record_type="owner", record_id=3)
    event(s, datetime(2026, 11, 18, 4, 32), "details", record_type="owner", record_id=4)
    raised = access_alerts.scan(s, now=datetime(2026, 11, 18, 12, 0))
    assert [(a.rule_code, a.window_start, a.value) for a in raised] == [
        ("records_per_hour", datetime(2026, 11, 18, 2, 0), 4)
    ]


def test_records_spread_over_an_hour_boundary_do_not_add_up(s):
    _set(s, "records_per_hour", enabled=True, threshold=3)
    opens(s, datetime(2026, 11, 18, 2, 58), 3, step=timedelta(seconds=10))  # 02:58:00-02:58:20
    opens(s, datetime(2026, 11, 18, 3, 0), 3)
    assert access_alerts.scan(s, now=datetime(2026, 11, 18, 12, 0)) == []


def test_exports_count_rows_per_office_day_not_per_utc_day(s):
    _set(s, "export_rows_per_day", enabled=True, threshold=100)
    # 15:59 UTC on the 17th is 23:59 on the 17th in Shanghai; 16:00 UTC is already the 18th
    event(s, datetime(2026, 11, 17, 15, 59), "export", ids=range(60))
    event(s, datetime(2026, 11, 17, 16, 0), "export", ids=range(60))
    event(s, datetime(2026, 11, 18, 2, 0), "export", ids=range(50))
    event(s, datetime(2026, 11, 18, 3, 0), "export", ids=range(50), outcome="denied")
    raised = access_alerts.scan(s, now=datetime(2026, 11, 18, 12, 0))
    assert [(a.rule_code, a.window_start, a.window_end, a.value) for a in raised] == [
        # the office day of the 18th begins at 16:00 UTC on the 17th
        ("export_rows_per_day", datetime(2026, 11, 17, 16, 0), datetime(2026, 11, 18, 16, 0), 110)
    ]


@pytest.mark.parametrize(
    ("at_utc", "alert"),
    [
        (datetime(2026, 11, 17, 23, 29, 59), True),  # 07:29:59 Wednesday in Shanghai
        (datetime(2026, 11, 17, 23, 30, 0), False),  # 07:30 sharp
        (datetime(2026, 11, 18, 12, 59, 59), False),  # 20:59:59
        (datetime(2026, 11, 18, 13, 0, 0), True),  # 21:00 sharp
        (datetime(2026, 11, 20, 16, 30), True),  # 00:30 Saturday the 21st: weekend
        (datetime(2026, 10, 1, 2, 0), True),  # 10:00 on National Day
        (datetime(2026, 10, 10, 2, 0), False),  # 10:00 on the swapped working Saturday
    ],
)
def test_sign_in_outside_office_hours(s, at_utc, alert):
    event(s, at_utc, "login")
    found = access_alerts.find(s, at_utc - timedelta(days=1), at_utc + timedelta(days=1))
    assert [f.rule_code for f in found] == (["off_hours"] if alert else [])


def test_an_override_makes_a_weekday_a_day_off(s):
    s.add(CalendarOverride(day=datetime(2026, 11, 18).date(), is_workday=False, note="停电"))
    event(s, datetime(2026, 11, 18, 2, 0), "login")
    found = access_alerts.find(s, datetime(2026, 11, 17), datetime(2026, 11, 19))
    assert [(f.rule_code, f.window_start) for f in found] == [
        ("off_hours", datetime(2026, 11, 17, 16, 0))
    ]


def test_admin_tunes_office_hours(s):
    _set(s, "off_hours", enabled=True, day_starts="08:00", day_ends="18:00")
    event(s, datetime(2026, 11, 17, 23, 45), "login")  # 07:45 in Shanghai
    found = access_alerts.find(s, datetime(2026, 11, 17), datetime(2026, 11, 19))
    assert [f.rule_code for f in found] == ["off_hours"]
    _set(s, "off_hours", enabled=False, day_starts="08:00", day_ends="18:00")
    assert access_alerts.find(s, datetime(2026, 11, 17), datetime(2026, 11, 19)) == []


@pytest.mark.parametrize(
    ("code", "values"),
    [
        ("records_per_hour", {"threshold": 0}),
        ("records_per_hour", {"threshold": None}),
        ("off_hours", {"day_starts": "21:00", "day_ends": "07:30"}),
        ("off_hours", {"day_starts": "7:30", "day_ends": "21:00"}),
        ("off_hours", {"day_starts": "07:30", "day_ends": "24:00"}),
        ("nonsense", {"threshold": 5}),
    ],
)
def test_bad_rule_settings_are_refused(s, code, values):
    admin = make_user(s, "admin")
    with pytest.raises(access_alerts.InvalidRule):
        access_alerts.save_rule(s, admin, ACTOR, code, enabled=True, **values)


def test_only_the_admin_tunes_rules(s):
    with pytest.raises(access_alerts.NotAllowed):
        access_alerts.save_rule(
            s, make_user(s, "supervisor"), ACTOR, "records_per_hour", enabled=True, threshold=5
        )


def test_scan_is_idempotent_and_logs_each_alert(s):
    event(s, datetime(2026, 11, 18, 14, 0), "login", user_id=5)  # 22:00 in Shanghai
    event(s, datetime(2026, 11, 18, 14, 5), "login", user_id=5)  # same day: same alert
    event(s, datetime(2026, 11, 18, 14, 0), "login", user_id=6)
    now = datetime(2026, 11, 18, 15, 0)
    assert len(access_alerts.scan(s, now=now)) == 2
    assert access_alerts.scan(s, now=now) == []
    assert access_alerts.scan(s, now=now + timedelta(hours=1)) == []
    alerts = s.scalars(select(AccessAlert).order_by(AccessAlert.user_id)).all()
    assert [(a.user_id, a.value) for a in alerts] == [(5, 2), (6, 1)]
    logged = s.scalar(
        select(func.count()).where(
            AccessEvent.action == "alert", AccessEvent.record_type == "access_alert"
        )
    )
    assert logged == 2


def test_acknowledging_needs_a_note_and_happens_once(s):
    admin = make_user(s, "admin")
    event(s, datetime(2026, 11, 18, 14, 0), "login")
    (alert,) = access_alerts.scan(s, now=datetime(2026, 11, 18, 15, 0))
    with pytest.raises(access_alerts.MissingNote):
        access_alerts.acknowledge(s, admin, ACTOR, alert.id, "  ")
    with pytest.raises(access_alerts.NotAllowed):
        access_alerts.acknowledge(s, make_user(s, "supervisor"), ACTOR, alert.id, "ok")
    done = access_alerts.acknowledge(s, admin, ACTOR, alert.id, "加班，已核实")
    assert (done.acknowledged_by_id, done.ack_note) == (admin.id, "加班，已核实")
    with pytest.raises(access_alerts.AlreadyAcknowledged):
        access_alerts.acknowledge(s, admin, ACTOR, alert.id, "again")
    assert access_alerts.open_count(s) == 0
    assert s.scalar(select(func.count()).where(AccessEvent.action == "alert_ack")) == 1
