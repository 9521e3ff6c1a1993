"""The agreement-and-training gate (services/admin/staff_clearance.py): cleared, no agreement,
an older version, no passed training, training expired, the boundary day at exactly N
months, the setting, due soon, and recording many accounts at once (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, text

from extensions import db
from models.admin.staff import (
    StaffAgreement,
    StaffAgreementVersion,
    TrainingCourse,
    TrainingRecord,
)
from models.privacy.audit import AccessEvent
from services.admin import office_settings
from services.admin import staff as staff_records
from services.admin import staff_clearance as gate
from services.privacy import audit
from tests.factories import make_user

pytestmark = pytest.mark.instant()


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield db.session
        db.session.rollback()


def _actor(user) -> audit.Actor:
    return audit.Actor(user.id, user.username, user.role_code)


@pytest.fixture
def admin(ctx):
    return make_user(ctx, "admin", full_name="管理员甲")


@pytest.fixture
def course(ctx, admin):
    return ctx.scalars(select(TrainingCourse)).first()


def _sign(ctx, user, version, on, witness):
    ctx.add(
        StaffAgreement(user_id=user.id, version_id=version.id, signed_on=on, witness_id=witness.id)
    )
    ctx.flush()


def _train(ctx, admin, user, course, on, passed=True):
    staff_records.record_training(
        ctx, admin, _actor(admin), [user.id], course.id, on, "培训师", passed
    )


def _codes(result):
    return [m.code for m in result.missing]


def test_a_made_user_is_cleared_and_a_new_account_is_not(ctx, admin, today):
    clerk = make_user(ctx, "clerk")
    assert gate.clearance(ctx, clerk).cleared
    assert gate.clearance(ctx, clerk).status == gate.CLEARED
    fresh = make_user(ctx, "clerk", cleared=False)
    result = gate.clearance(ctx, fresh)
    assert result.status == gate.BLOCKED
    assert _codes(result) == [gate.NO_AGREEMENT, gate.NO_TRAINING]
    assert result.ask == ("管理员甲",)  # whom to ask: the active admins


def test_an_older_version_blocks_until_the_current_one_is_signed(ctx, admin, course, today):
    clerk = make_user(ctx, "clerk")
    new = staff_records.add_version(
        ctx, admin, _actor(admin), "2027 版", "员工保密协议（修订）", today, make_current=True
    )
    result = gate.clearance(ctx, clerk)
    assert _codes(result) == [gate.OLD_VERSION]
    assert "旧版本" in result.missing[0].text()  # the panel speaks Chinese by default
    _sign(ctx, clerk, new, today, admin)
    assert gate.clearance(ctx, clerk).cleared
    # only one version is current at a time
    assert ctx.scalars(
        select(StaffAgreementVersion).where(StaffAgreementVersion.current)
    ).all() == [new]


def test_training_never_passed_blocks(ctx, admin, course, today):
    clerk = make_user(ctx, "clerk", cleared=False)
    version = gate.current_version(ctx)
    _sign(ctx, clerk, version, today, admin)
    _train(ctx, admin, clerk, course, today, passed=False)
    assert _codes(gate.clearance(ctx, clerk)) == [gate.NO_TRAINING]
    _train(ctx, admin, clerk, course, today)
    assert gate.clearance(ctx, clerk).cleared


def test_training_expires_on_the_day_n_months_later(ctx, admin, course, today):
    clerk = make_user(ctx, "clerk", cleared=False)
    _sign(ctx, clerk, gate.current_version(ctx), today - timedelta(days=400), admin)
    taken = gate.add_months(today, -12)
    _train(ctx, admin, clerk, course, taken)
    # exactly 12 months later: expired that very day
    result = gate.clearance(ctx, clerk, today=today)
    assert _codes(result) == [gate.TRAINING_EXPIRED]
    assert result.missing[0].on == today
    assert today.isoformat() in result.missing[0].text()
    # the day before it still counted (and was due soon)
    assert gate.clearance(ctx, clerk, today=today - timedelta(days=1)).status == gate.DUE


def test_the_setting_decides_the_months(ctx, admin, course, today):
    clerk = make_user(ctx, "clerk", cleared=False)
    _sign(ctx, clerk, gate.current_version(ctx), today - timedelta(days=400), admin)
    _train(ctx, admin, clerk, course, gate.add_months(today, -13))
    assert _codes(gate.clearance(ctx, clerk)) == [gate.TRAINING_EXPIRED]
    office_settings.change(
        ctx, admin, _actor(admin), office_settings.TRAINING_VALIDITY_MONTHS, 24, "两年一训", 0
    )
    assert gate.clearance(ctx, clerk).cleared


def test_due_within_thirty_days_and_the_roster(ctx, admin, course, today):
    due = make_user(ctx, "clerk", full_name="快到期")
    blocked = make_user(ctx, "clerk", full_name="未培训", cleared=False)
    ok = make_user(ctx, "clerk", full_name="已培训")
    # due: trained 11 months and some days ago, runs out in about 20 days
    taken = gate.add_months(today, -12) + timedelta(days=20)
    ctx.execute(
        TrainingRecord.__table__.update()
        .where(TrainingRecord.user_id == due.id)
        .values(taken_on=taken)
    )
    found = gate.statuses(ctx, [due.id, blocked.id, ok.id])
    assert found[due.id].status == gate.DUE
    assert found[due.id].training_expires_on == gate.add_months(taken, 12)
    assert found[blocked.id].status == gate.BLOCKED
    assert found[ok.id].status == gate.CLEARED
    due_list, blocked_list = gate.due_and_blocked(ctx)
    assert [u.id for u, _ in due_list] == [due.id]
    assert [u.id for u, _ in blocked_list] == [blocked.id]


def test_future_dates_do_not_count_and_are_refused(ctx, admin, course, today):
    clerk = make_user(ctx, "clerk", cleared=False)
    with pytest.raises(staff_records.StaffError):
        _train(ctx, admin, clerk, course, today + timedelta(days=1))
    with pytest.raises(staff_records.StaffError):
        staff_records.record_agreement(
            ctx,
            admin,
            _actor(admin),
            clerk.id,
            gate.current_version(ctx).id,
            today + timedelta(days=1),
            admin.id,
        )


def test_add_months_keeps_the_month_end():
    assert gate.add_months(date(2026, 3, 31), 1) == date(2026, 4, 30)
    assert gate.add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert gate.add_months(date(2026, 12, 6), -12) == date(2025, 12, 6)
    assert gate.add_months(date(2026, 1, 15), -1) == date(2025, 12, 15)


def test_many_accounts_at_once_one_record_each_and_logged(ctx, admin, course, today):
    a = make_user(ctx, "clerk", cleared=False)
    b = make_user(ctx, "supervisor", cleared=False)
    records = staff_records.record_training(
        ctx, admin, _actor(admin), [a.id, b.id, a.id], course.id, today, "培训师", True
    )
    assert sorted(r.user_id for r in records) == sorted([a.id, b.id])
    event = ctx.scalars(
        select(AccessEvent).where(AccessEvent.record_type == staff_records.TRAINING_RECORD)
    ).one()
    assert event.action == "create"
    assert sorted(int(i) for i in event.record_ids.split(",")) == sorted(r.id for r in records)
    clerk = make_user(ctx, "clerk")
    with pytest.raises(staff_records.StaffError):
        staff_records.record_training(
            ctx, clerk, _actor(clerk), [a.id], course.id, today, "x", True
        )


def test_the_scan_is_sealed_and_bounded(ctx, admin, today):
    clerk = make_user(ctx, "clerk", cleared=False)
    version = gate.current_version(ctx)
    agreement = staff_records.record_agreement(
        ctx,
        admin,
        _actor(admin),
        clerk.id,
        version.id,
        today,
        admin.id,
        scan=b"%PDF-1.4 signed",
        scan_name="signed.pdf",
    )
    ctx.flush()
    # the database holds a sealed token, never the file or its base64
    stored = ctx.execute(
        text("SELECT scan FROM staff_agreements WHERE id = :id"), {"id": agreement.id}
    ).scalar_one()
    assert "signed" not in stored and "JVBERi" not in stored
    assert staff_records.scan_of(ctx.get(StaffAgreement, agreement.id)) == b"%PDF-1.4 signed"
    with pytest.raises(staff_records.StaffError):
        staff_records.record_agreement(
            ctx,
            admin,
            _actor(admin),
            clerk.id,
            version.id,
            today,
            admin.id,
            scan=b"x" * (staff_records.SCAN_MAX_BYTES + 1),
            scan_name="big.pdf",
        )
    assert ctx.get(StaffAgreement, agreement.id).scan_type == "application/pdf"
    # a file that is no PDF or picture is refused, whatever its name says
    with pytest.raises(staff_records.StaffError, match="PDF"):
        staff_records.record_agreement(
            ctx,
            admin,
            _actor(admin),
            clerk.id,
            version.id,
            today,
            admin.id,
            scan=b"MZ\x90\x00 not a scan",
            scan_name="scan.pdf",
        )
    with pytest.raises(staff_records.StaffError):
        staff_records.record_agreement(
            ctx, admin, _actor(admin), clerk.id, version.id, today, clerk.id
        )  # the witness is another person
