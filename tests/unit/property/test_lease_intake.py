"""The lease intake rule (services/property/leases.py): active only when everything is recorded."""

from __future__ import annotations

from datetime import date

import pytest

from extensions import db
from models.property.property import Lease, Tenant, Unit
from services.property import leases, timeline
from tests.factories import make_user, ref_item

DAY = date(2024, 3, 1)


@pytest.fixture
def s(app):
    with app.app_context():
        yield db.session
        db.session.rollback()


def _unit(session, room="2-1502") -> Unit:
    unit = Unit(project_id=ref_item(session, "project").id, building="3栋", room=room)
    session.add(unit)
    session.flush()
    return unit


def _lease(session, unit, **kw) -> Lease:
    lease = Lease(unit=unit, tenant=Tenant(name="马租户"), starts_on=DAY, **kw)
    session.add(lease)
    return lease


def _complete(session, unit, **kw) -> Lease:
    values = dict.fromkeys(("contract_seen", "contract_copy_kept", "fees_paid"), True)
    values.update(move_in_form_done=True, both_parties_came_on=DAY)
    values.update(original_seen_by=make_user(session, "clerk"), **kw)
    return _lease(session, unit, **values)


def test_nothing_recorded_is_being_registered_with_every_item_missing(s):
    lease = _lease(s, _unit(s))
    assert leases.settle_status(s, lease) == "registering"
    assert len(leases.intake_missing(lease)) == len(leases.INTAKE) == 6


def test_everything_recorded_is_active(s):
    lease = _complete(s, _unit(s))
    assert leases.intake_missing(lease) == []
    assert leases.settle_status(s, lease) == "active"


@pytest.mark.parametrize("attribute", [a for a, _ in leases.INTAKE])
def test_any_one_item_missing_keeps_it_registering(s, attribute):
    lease = _complete(s, _unit(s))
    setattr(
        lease,
        attribute,
        None if attribute in ("both_parties_came_on", "original_seen_by") else False,
    )
    assert leases.settle_status(s, lease) == "registering"
    assert len(leases.intake_missing(lease)) == 1


def test_an_ended_lease_stays_ended(s):
    lease = _lease(s, _unit(s), status="ended")
    assert leases.settle_status(s, lease) == "ended"


def test_a_second_active_lease_of_the_unit_is_refused(s):
    unit = _unit(s)
    leases.settle_status(s, _complete(s, unit))
    s.flush()
    with pytest.raises(leases.UnitLet):
        leases.settle_status(s, _complete(s, unit))


def test_ticking_original_seen_names_the_desk_user_unless_someone_is_named(s):
    clerk, other = make_user(s, "clerk"), make_user(s, "supervisor")
    lease = _lease(s, _unit(s), contract_seen=True)
    leases.record_intake(s, clerk, lease)
    assert lease.original_seen_by is clerk
    named = _lease(s, _unit(s, "2-1503"), contract_seen=True, original_seen_by=other)
    leases.record_intake(s, clerk, named)
    assert named.original_seen_by is other


def test_an_earlier_tick_is_not_claimed_by_whoever_edits_next(s):
    lease = _lease(s, _unit(s), contract_seen=True)
    s.flush()
    editor = make_user(s, "clerk")
    lease.fees_paid = True
    leases.record_intake(s, editor, lease)
    assert lease.original_seen_by is None


def test_a_non_desk_account_is_not_named(s):
    lease = _lease(s, _unit(s), contract_seen=True)
    leases.record_intake(s, make_user(s, "admin"), lease)
    assert lease.original_seen_by is None


def test_staff_choices_are_active_desk_accounts(s):
    clerk, supervisor = make_user(s, "clerk"), make_user(s, "supervisor")
    make_user(s, "admin"), make_user(s, "custodian")
    make_user(s, "clerk").active = False
    s.flush()
    chosen = set(s.scalars(leases.intake_staff_query()))
    assert chosen == {clerk, supervisor}


def test_a_lease_being_registered_cannot_be_moved_out_of(s):
    lease = _lease(s, _unit(s))
    leases.settle_status(s, lease)
    s.flush()
    with pytest.raises(leases.StillRegistering):
        leases.end_lease(s, make_user(s, "clerk"), lease, DAY, fees_settled=True)


def test_timeline_shows_registration_not_a_start(s):
    unit = _unit(s)
    lease = _lease(s, unit, both_parties_came_on=date(2024, 2, 27))
    leases.settle_status(s, lease)
    s.flush()
    events = timeline.unit_timeline(s, unit.id)
    assert [(e.on, e.kind) for e in events] == [(date(2024, 2, 27), "lease_registering")]
