"""Household changes, members on a past date, and ending a lease."""

from __future__ import annotations

from datetime import date

import pytest

from core.clock import office_today
from extensions import db
from models.property.property import Lease, ResidentCard, Tenant
from models.shared.approvals import ChangeRequest
from services.property import household, leases, timeline
from services.shared import approvals
from tests.factories import make_user, ref_item
from tests.unit.property.test_transfers_service import make_unit_with_owner

# Relative to the office's today: make test repeats these at NAMED_INSTANTS.
pytestmark = pytest.mark.day_sensitive


@pytest.fixture
def s(app):
    with app.app_context():
        yield db.session
        db.session.rollback()


def _reason(s, code):
    return ref_item(s, "household_change_reason", code).id


def test_members_on_a_past_date(s):
    clerk = make_user(s, "clerk")
    unit, _ = make_unit_with_owner(s)
    wife = household.add_member(
        s, clerk, unit, name="李梅", reason_id=_reason(s, "marriage"), effective_on=date(2020, 5, 1)
    ).member
    household.add_member(
        s, clerk, unit, name="张小宝", reason_id=_reason(s, "birth"), effective_on=date(2022, 3, 1)
    )
    supervisor = make_user(s, "supervisor")  # removes directly; a clerk's removal is a request
    household.remove_member(
        s, supervisor, wife, reason_id=_reason(s, "moved_out"), effective_on=date(2023, 7, 1)
    )

    def names(on):
        return [m.name for m in household.members_on(s, unit.id, on)]

    assert names(date(2020, 4, 30)) == []
    assert names(date(2021, 1, 1)) == ["李梅"]
    assert names(date(2022, 3, 1)) == ["李梅", "张小宝"]
    assert names(date(2023, 7, 1)) == ["张小宝"]
    kinds = [e.kind for e in timeline.unit_timeline(s, unit.id)]
    assert kinds.count("household_added") == 2 and kinds.count("household_removed") == 1
    assert all(e.by for e in timeline.unit_timeline(s, unit.id) if e.kind.startswith("household"))


def test_household_refusals(s):
    clerk = make_user(s, "clerk")
    unit, _ = make_unit_with_owner(s)
    with pytest.raises(household.BadReason):
        household.add_member(s, clerk, unit, name="甲", reason_id=None, effective_on=office_today())
    with pytest.raises(household.BadReason):  # an item of another list
        household.add_member(
            s,
            clerk,
            unit,
            name="甲",
            reason_id=ref_item(s, "transfer_item").id,
            effective_on=office_today(),
        )
    with pytest.raises(household.MissingName):
        household.add_member(
            s, clerk, unit, name=" ", reason_id=_reason(s, "birth"), effective_on=office_today()
        )
    member = household.add_member(
        s, clerk, unit, name="甲", reason_id=_reason(s, "birth"), effective_on=date(2021, 1, 1)
    ).member
    with pytest.raises(household.BeforeJoining):
        household.remove_member(
            s, clerk, member, reason_id=_reason(s, "death"), effective_on=date(2020, 1, 1)
        )
    supervisor = make_user(s, "supervisor")
    household.remove_member(
        s, supervisor, member, reason_id=_reason(s, "death"), effective_on=date(2024, 1, 1)
    )
    with pytest.raises(household.AlreadyLeft):
        household.remove_member(
            s, clerk, member, reason_id=_reason(s, "death"), effective_on=date(2024, 2, 1)
        )


def test_a_clerks_removal_waits_for_approval_then_reaches_the_timeline(s):
    clerk = make_user(s, "clerk")
    supervisor = make_user(s, "supervisor")
    unit, _ = make_unit_with_owner(s)
    member = household.add_member(
        s, clerk, unit, name="李梅", reason_id=_reason(s, "marriage"), effective_on=date(2020, 5, 1)
    ).member
    filed = household.remove_member(
        s, clerk, member, reason_id=_reason(s, "moved_out"), effective_on=date(2023, 7, 1)
    )
    assert isinstance(filed, ChangeRequest) and filed.status == "pending"
    s.refresh(member)
    assert member.left_on is None  # nothing changed yet
    assert [m.name for m in household.members_on(s, unit.id, date(2024, 1, 1))] == ["李梅"]
    with pytest.raises(approvals.DuplicatePending):
        household.remove_member(
            s, clerk, member, reason_id=_reason(s, "death"), effective_on=date(2023, 8, 1)
        )
    with pytest.raises(approvals.SelfDecision):
        approvals.approve(s, user=clerk, request_id=filed.id)
    assert approvals.approve(s, user=supervisor, request_id=filed.id).status == "approved"
    s.refresh(member)
    assert member.left_on == date(2023, 7, 1)
    assert household.members_on(s, unit.id, date(2024, 1, 1)) == []
    removed = [e for e in timeline.unit_timeline(s, unit.id) if e.kind == "household_removed"]
    assert len(removed) == 1 and removed[0].on == date(2023, 7, 1)


def make_lease(s, unit):
    tenant = Tenant(name="赵六")
    lease = Lease(unit=unit, tenant=tenant, starts_on=date(2023, 1, 1), status="active")
    s.add(lease)
    s.flush()
    return lease


def test_lease_end_refused_while_cards_are_out(s):
    clerk = make_user(s, "clerk")
    unit, _ = make_unit_with_owner(s)
    lease = make_lease(s, unit)
    card = ResidentCard(
        card_no="T1", unit=unit, holder_name="赵六", tenant=lease.tenant, issued_on=date(2023, 1, 2)
    )
    s.add(card)
    s.flush()
    with pytest.raises(leases.CardsOut) as err:
        leases.end_lease(s, clerk, lease, date(2024, 1, 1), fees_settled=True)
    assert "T1" in str(err.value.message)
    assert lease.status == "active"

    card.status, card.returned_on = "returned", date(2023, 12, 30)
    s.flush()
    with pytest.raises(leases.FeesOpen):
        leases.end_lease(s, clerk, lease, date(2024, 1, 1), fees_settled=False)
    with pytest.raises(leases.BeforeStart):
        leases.end_lease(s, clerk, lease, date(2022, 1, 1), fees_settled=True)
    leases.end_lease(s, clerk, lease, date(2024, 1, 1), fees_settled=True)
    assert (lease.status, lease.moved_out_on) == ("ended", date(2024, 1, 1))
    with pytest.raises(leases.NotActive):
        leases.end_lease(s, clerk, lease, date(2024, 1, 2), fees_settled=True)
    # the unit can be let again; the old lease stays as history
    again = make_lease(s, unit)
    assert again.status == "active"
    kinds = [e.kind for e in timeline.unit_timeline(s, unit.id)]
    assert kinds.count("lease_start") == 2 and kinds.count("lease_end") == 1
