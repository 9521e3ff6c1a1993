"""The complaints register's rules: the due date in working days on the Chinese calendar,
overdue only while unanswered and only after the due day, and the steps in their order by
the people who may take them (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, update

from extensions import db
from models.base import utcnow
from models.care.complaints import Complaint
from models.privacy.audit import AccessEvent
from models.shared.calendar import CalendarOverride
from services.care import complaints
from services.home import home_stats
from services.privacy import audit
from tests.factories import make_prospect, make_user

# Fixed dates below were written for this instant (2026-11-25, a Wednesday, in Shanghai).
pytestmark = pytest.mark.instant()

TODAY = date(2026, 11, 25)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield db.session
        db.session.rollback()


@pytest.fixture
def people(ctx):
    clerk = make_user(ctx, "clerk", full_name="李文员")
    other_clerk = make_user(ctx, "clerk", full_name="王文员")
    supervisor = make_user(ctx, "supervisor", full_name="赵主管")
    card = make_prospect(ctx, name="投诉人甲")
    ctx.commit()
    return clerk, other_clerk, supervisor, card


def _actor(user):
    return audit.Actor(user.id, user.username, user.role_code)


def _new(card, received=date(2026, 11, 20), **kw) -> Complaint:
    values = {
        "subject_type": "prospect",
        "subject_id": card.id,
        "received_on": received,
        "channel": "phone",
        "category": "service",
        "summary": "  等了半小时没人接待  ",
    }
    values.update(kw)
    return Complaint(**values)


def _registered(ctx, people, **kw) -> Complaint:
    clerk, _other, _supervisor, card = people
    complaint = complaints.register(ctx, _new(card, **kw), clerk, _actor(clerk))
    ctx.commit()
    return complaint


# --- the due date ---------------------------------------------------------------------------
def test_due_date_skips_the_weekend(ctx):
    # Friday 20 November: Mon 23 .. Fri 27 are the five working days.
    assert complaints.due_date(ctx, date(2026, 11, 20)) == date(2026, 11, 27)


def test_due_date_skips_the_national_day_holiday_and_counts_the_swapped_saturday(ctx):
    # Tue 29 September: 30 Sep, 8 Oct, 9 Oct, Sat 10 Oct (a swapped working day), Mon 12 Oct.
    assert complaints.due_date(ctx, date(2026, 9, 29)) == date(2026, 10, 12)


def test_due_date_follows_the_admins_calendar_and_the_configured_days(app, ctx):
    ctx.add(CalendarOverride(day=date(2026, 11, 23), is_workday=False, note="停电放假"))
    ctx.flush()
    assert complaints.due_date(ctx, date(2026, 11, 20)) == date(2026, 11, 30)
    app.config["COMPLAINT_ANSWER_WORKDAYS"] = 2
    try:
        assert complaints.due_date(ctx, date(2026, 11, 20)) == date(2026, 11, 25)
    finally:
        app.config["COMPLAINT_ANSWER_WORKDAYS"] = complaints.DEFAULT_ANSWER_WORKDAYS


def test_register_sets_due_date_status_who_and_logs_against_the_customer(ctx, people):
    clerk, _other, _supervisor, card = people
    complaint = _registered(ctx, people)
    assert complaint.due_on == date(2026, 11, 27)
    assert complaint.status == "open" and complaint.registered_by_id == clerk.id
    assert complaint.summary == "等了半小时没人接待"
    event = ctx.scalars(
        select(AccessEvent).where(AccessEvent.action == "complaint_registered")
    ).one()
    assert (event.record_type, event.record_id, event.user_id) == ("prospect", card.id, clerk.id)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"subject_id": 999_999}, "找不到该客户记录"),
        ({"subject_type": "dealer"}, "找不到该客户记录"),
        ({"summary": "   "}, "请填写客户反映的内容"),
        ({"channel": "fax"}, "请选择反映渠道和类别"),
        ({"received_on": date(2026, 11, 26)}, "收到日期不能晚于今天"),
    ],
)
def test_register_refuses_incomplete_complaints(ctx, people, change, message):
    clerk, _other, _supervisor, card = people
    with pytest.raises(complaints.ComplaintError, match=message):
        complaints.register(ctx, _new(card, **change), clerk, _actor(clerk))


def test_only_clerks_and_supervisors_handle_complaints(ctx, people):
    clerk, _other, _supervisor, card = people
    custodian = make_user(ctx, "custodian")
    with pytest.raises(
        complaints.ComplaintError, match="投诉处理人须为在职的文员/置业顾问或现场主管"
    ):
        complaints.register(ctx, _new(card, handler_id=custodian.id), clerk, _actor(clerk))
    assert [u.full_name for u in complaints.eligible_handlers(ctx, clerk)] == sorted(
        ["李文员", "王文员", "赵主管"]
    )


# --- overdue --------------------------------------------------------------------------------
def test_overdue_starts_the_day_after_the_due_day_and_only_while_unanswered(ctx, people):
    clerk, _other, supervisor, card = people
    due_today = _registered(ctx, people, received=date(2026, 11, 18))  # due Wed 25 Nov
    late = _registered(ctx, people, received=date(2026, 11, 17))  # due Tue 24 Nov
    answered_late = _registered(ctx, people, received=date(2026, 11, 10))
    assert (due_today.due_on, late.due_on) == (TODAY, date(2026, 11, 24))
    complaints.answer(ctx, answered_late, supervisor, _actor(supervisor), "已回电")
    ctx.commit()
    assert [c.id for c in complaints.overdue(ctx, TODAY, supervisor)] == [late.id]
    assert complaints.counts(ctx, TODAY, supervisor) == {"open": 2, "overdue": 1}
    # The day after, the one due today is late too.
    assert complaints.counts(ctx, date(2026, 11, 26), supervisor) == {"open": 2, "overdue": 2}


def test_a_handlers_own_counts(ctx, people):
    clerk, other, supervisor, _card = people
    _registered(ctx, people, received=date(2026, 11, 17), handler_id=clerk.id)
    _registered(ctx, people, received=date(2026, 11, 23), handler_id=clerk.id)
    _registered(ctx, people, received=date(2026, 11, 17), handler_id=other.id)
    assert home_stats.complaint_counts(ctx, TODAY, handler=clerk) == {"open": 2, "overdue": 1}
    assert home_stats.complaint_counts(ctx, TODAY, user=supervisor) == {"open": 3, "overdue": 2}


# --- the steps ------------------------------------------------------------------------------
def test_answer_then_close_records_who_and_what(ctx, people):
    clerk, _other, supervisor, card = people
    complaint = _registered(ctx, people, handler_id=clerk.id)
    complaints.answer(ctx, complaint, clerk, _actor(clerk), "  已道歉并安排专人接待  ")
    ctx.commit()
    assert complaint.status == "answered" and complaint.answer == "已道歉并安排专人接待"
    assert complaint.answered_by_id == clerk.id and complaint.answered_at is not None
    complaints.close(ctx, complaint, supervisor, _actor(supervisor), "前台增设排号，10分钟内接待")
    ctx.commit()
    assert complaint.status == "closed" and complaint.closed_by_id == supervisor.id
    assert complaint.improvement == "前台增设排号，10分钟内接待"
    assert complaint.version == 3
    actions = ctx.scalars(
        select(AccessEvent.action).where(AccessEvent.record_id == card.id).order_by(AccessEvent.seq)
    ).all()
    assert actions == ["complaint_registered", "complaint_answered", "complaint_closed"]


def test_steps_out_of_order_are_refused(ctx, people):
    clerk, _other, supervisor, _card = people
    complaint = _registered(ctx, people, handler_id=clerk.id)
    with pytest.raises(complaints.ComplaintError, match="请先答复客户，再结案"):
        complaints.close(ctx, complaint, supervisor, _actor(supervisor), "改进")
    complaints.answer(ctx, complaint, clerk, _actor(clerk), "已答复")
    ctx.commit()
    with pytest.raises(complaints.ComplaintError, match="该投诉已答复"):
        complaints.answer(ctx, complaint, supervisor, _actor(supervisor), "再答复一次")
    with pytest.raises(complaints.ComplaintError, match="只有待答复的投诉可以指派处理人"):
        complaints.assign(ctx, complaint, clerk.id, supervisor, _actor(supervisor))
    complaints.close(ctx, complaint, supervisor, _actor(supervisor), "改进")
    ctx.commit()
    with pytest.raises(complaints.ComplaintError, match="该投诉已结案"):
        complaints.close(ctx, complaint, supervisor, _actor(supervisor), "再改进")
    assert ctx.get(Complaint, complaint.id).improvement == "改进"


def test_who_may_take_each_step(ctx, people):
    clerk, other, supervisor, _card = people
    complaint = _registered(ctx, people, handler_id=clerk.id)
    with pytest.raises(complaints.ComplaintError, match="只有该投诉的处理人或现场主管可以答复"):
        complaints.answer(ctx, complaint, other, _actor(other), "不是我的")
    with pytest.raises(complaints.ComplaintError, match="只有现场主管可以指派投诉处理人"):
        complaints.assign(ctx, complaint, other.id, clerk, _actor(clerk))
    complaints.assign(ctx, complaint, other.id, supervisor, _actor(supervisor))
    ctx.commit()
    assert complaint.handler_id == other.id
    complaints.answer(ctx, complaint, other, _actor(other), "已答复")
    ctx.commit()
    with pytest.raises(complaints.ComplaintError, match="只有现场主管可以结案"):
        complaints.close(ctx, complaint, other, _actor(other), "改进")


def test_each_step_needs_its_text(ctx, people):
    clerk, _other, supervisor, _card = people
    complaint = _registered(ctx, people, handler_id=clerk.id)
    with pytest.raises(complaints.ComplaintError, match="请填写答复客户的内容"):
        complaints.answer(ctx, complaint, clerk, _actor(clerk), "  ")
    complaints.answer(ctx, complaint, clerk, _actor(clerk), "已答复")
    ctx.commit()
    with pytest.raises(complaints.ComplaintError, match="请填写因此投诉做了哪些改进"):
        complaints.close(ctx, complaint, supervisor, _actor(supervisor), "")
    assert ctx.get(Complaint, complaint.id).status == "answered"


def test_a_step_from_an_older_copy_changes_nothing(ctx, people):
    """Two people at once: the second works from the version it loaded, and the
    conditional update refuses it instead of overwriting the first person's step."""
    clerk, other, supervisor, _card = people
    complaint = _registered(ctx, people, handler_id=clerk.id)
    assert complaint.version == 1  # loaded, as the second person's page showed it
    # Meanwhile the first person answers (another session, straight to the database).
    ctx.execute(
        update(Complaint)
        .where(Complaint.id == complaint.id)
        .values(version=2, status="answered", answer="第一个答复", answered_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    with pytest.raises(complaints.ComplaintError, match="该投诉刚刚已被他人处理，请重新查看。"):
        complaints.answer(ctx, complaint, supervisor, _actor(supervisor), "第二个答复")
    ctx.commit()
    ctx.expire_all()
    assert ctx.get(Complaint, complaint.id).answer == "第一个答复"


def test_anonymising_the_customer_clears_what_was_said_and_answered(ctx, people):
    from services.privacy.subject_requests import CLEARED, anonymise

    clerk, _other, supervisor, card = people
    complaint = _registered(ctx, people, handler_id=clerk.id)
    complaints.answer(ctx, complaint, clerk, _actor(clerk), "已道歉并安排专人接待")
    complaints.close(ctx, complaint, supervisor, _actor(supervisor), "前台增设排号")
    other = _registered(ctx, people, summary="另一位客户的意见")
    other.subject_id = make_prospect(ctx, name="别的客户").id
    ctx.commit()
    anonymise(ctx, "prospect", card.id)
    ctx.commit()
    ctx.refresh(complaint)
    ctx.refresh(other)
    assert complaint.summary == CLEARED and complaint.answer == CLEARED
    # What the office changed is its own, and the statistics stay.
    assert complaint.improvement == "前台增设排号" and complaint.status == "closed"
    assert other.summary == "另一位客户的意见"
