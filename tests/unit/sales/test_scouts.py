"""Flagging a competitor's scout: proposed with a reason, set only when a supervisor agrees,
then left out of the weekly B/C count and the day's cards (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest

from extensions import db
from models.sales.prospects import Prospect
from models.shared.approvals import ChangeRequest
from services.home import home_stats
from services.sales import sales_records, scouts, weekly_count
from services.shared import approvals
from tests.factories import make_prospect, make_user, make_visit

SATURDAY = date(2026, 3, 14)
ON = date(2026, 3, 2)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield db.session


@pytest.fixture
def office(ctx):
    clerk = make_user(ctx, "clerk", full_name="李顾问")
    supervisor = make_user(ctx, "supervisor")
    card = make_prospect(ctx, consultant=clerk, grade="B", first_visit_on=ON)
    make_prospect(ctx, consultant=clerk, grade="C", first_visit_on=ON)
    ctx.commit()
    return clerk, supervisor, card


def test_a_proposal_needs_a_reason(ctx, office):
    clerk, _supervisor, card = office
    with pytest.raises(approvals.MissingReason):
        scouts.propose_scout(ctx, clerk, card, "  ")
    assert ctx.query(ChangeRequest).count() == 0


def test_a_pending_proposal_cannot_be_filed_twice(ctx, office):
    clerk, supervisor, card = office
    scouts.propose_scout(ctx, clerk, card, "同行售楼处的人")
    ctx.commit()
    with pytest.raises(approvals.DuplicatePending):
        scouts.propose_scout(ctx, supervisor, card, "再报一次")
    ctx.rollback()
    assert ctx.query(ChangeRequest).count() == 1


def test_the_flag_waits_for_the_supervisor_and_the_requester_cannot_decide(ctx, office):
    clerk, supervisor, card = office
    request = scouts.propose_scout(ctx, clerk, card, "同行售楼处的人")
    ctx.commit()
    assert request.status == "pending" and request.reason == "同行售楼处的人"
    assert request.changes["is_scout"]["old"] is False and request.changes["is_scout"]["new"]
    assert scouts.pending_proposal(ctx, card.id).id == request.id
    assert ctx.get(Prospect, card.id).is_scout is False
    with pytest.raises(approvals.SelfDecision):
        approvals.approve(ctx, user=clerk, request_id=request.id)
    ctx.commit()
    with pytest.raises(approvals.NotAnApprover):
        approvals.approve(ctx, user=make_user(ctx, "clerk"), request_id=request.id)
    ctx.rollback()
    decision = approvals.approve(ctx, user=supervisor, request_id=request.id, comment="同意")
    ctx.commit()
    assert decision.status == "approved"
    assert ctx.get(Prospect, card.id).is_scout is True
    assert scouts.pending_proposal(ctx, card.id) is None
    with pytest.raises(scouts.AlreadyScout):
        scouts.propose_scout(ctx, clerk, ctx.get(Prospect, card.id), "又一次")


def test_a_supervisors_proposal_needs_another_approver(ctx, office):
    _clerk, supervisor, card = office
    request = scouts.propose_scout(ctx, supervisor, card, "认识此人，是同行")
    ctx.commit()
    with pytest.raises(approvals.SelfDecision):
        approvals.approve(ctx, user=supervisor, request_id=request.id)
    ctx.commit()
    other = make_user(ctx, "admin")
    assert approvals.approve(ctx, user=other, request_id=request.id).status == "approved"
    ctx.commit()
    assert ctx.get(Prospect, card.id).is_scout is True


def test_a_rejected_proposal_leaves_the_card_counted(ctx, office):
    clerk, supervisor, card = office
    request = scouts.propose_scout(ctx, clerk, card, "可能是同行")
    ctx.commit()
    approvals.reject(ctx, user=supervisor, request_id=request.id, comment="是真实客户")
    ctx.commit()
    assert ctx.get(Prospect, card.id).is_scout is False
    assert weekly_count.count_as_of(ctx, SATURDAY, supervisor).b == 1


def test_the_weekly_count_and_the_days_cards_drop_a_confirmed_scout(ctx, office):
    clerk, supervisor, card = office
    make_visit(ctx, card, visited_on=ON, consultant_id=clerk.id)
    ctx.commit()
    before = weekly_count.count_as_of(ctx, SATURDAY, supervisor)
    assert (before.b, before.c) == (1, 1)
    assert before.per_consultant == {clerk.id: (1, 1)}
    assert sales_records.day_cards(ctx, clerk.id, ON, supervisor).entered == 1

    request = scouts.propose_scout(ctx, clerk, card, "同行售楼处的人")
    ctx.commit()
    assert weekly_count.count_as_of(ctx, SATURDAY, supervisor).b == 1  # not yet: waiting
    approvals.approve(ctx, user=supervisor, request_id=request.id)
    ctx.commit()

    after = weekly_count.count_as_of(ctx, SATURDAY, supervisor)
    assert (after.b, after.c) == (0, 1)
    assert after.per_consultant == {clerk.id: (0, 1)}
    day = sales_records.day_cards(ctx, clerk.id, ON, supervisor)
    assert day.entered == 0 and [v.prospect_id for v in day.scout_visits] == [card.id]
    rows = {
        r.consultant_id: r.entered for r in home_stats.day_cards_by_consultant(ctx, ON, supervisor)
    }
    assert rows.get(clerk.id, 0) == 0
