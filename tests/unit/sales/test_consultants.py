"""Who may be named consultant, and who received a reception the form says nothing about."""

from __future__ import annotations

import pytest

from core.clock import office_today
from extensions import db
from models.sales.prospects import Prospect, Visit
from services.sales import consultants
from services.sales.consultants import NoConsultant
from tests.factories import make_prospect, make_user, make_visit

# Receptions are dated from the office's today: make test repeats these at NAMED_INSTANTS.
pytestmark = pytest.mark.day_sensitive

ROLES = ("clerk", "supervisor", "region_manager", "custodian", "admin")


@pytest.fixture
def s(app):
    with app.app_context():
        yield db.session


@pytest.fixture
def people(s):
    return {role: make_user(s, role) for role in ROLES}


def test_clerks_receive_customers_the_supervisor_only_where_the_office_wants_it(s, people):
    allowed = {role for role, user in people.items() if consultants.may_receive(user)}
    assert allowed == {"clerk"}
    allowed = {
        role for role, user in people.items() if consultants.may_receive(user, with_supervisor=True)
    }
    assert allowed == {"clerk", "supervisor"}
    assert not consultants.may_receive(None)


def test_the_office_setting_decides_for_the_supervisor(app, s, people, monkeypatch):
    assert not consultants.may_receive(people["supervisor"])
    monkeypatch.setitem(app.config, "SUPERVISOR_RECEIVES_CUSTOMERS", True)
    assert consultants.may_receive(people["supervisor"])
    assert not consultants.may_receive(people["admin"])


def test_a_deactivated_clerk_is_no_longer_offered(s, people):
    gone = make_user(s, "clerk", full_name="离职")
    gone.active = False
    s.flush()
    assert not consultants.may_receive(gone)
    assert consultants.consultants(s) == [people["clerk"]]
    listed = consultants.consultants(s, with_supervisor=True)
    assert set(listed) == {people["clerk"], people["supervisor"]}


def test_default_consultant_is_the_one_entering_when_they_receive_customers(s, people):
    assert consultants.default_consultant(people["clerk"]) is people["clerk"]
    for role in ("supervisor", "region_manager", "custodian", "admin"):
        assert consultants.default_consultant(people[role]) is None
    assert (
        consultants.default_consultant(people["supervisor"], with_supervisor=True)
        is (people["supervisor"])
    )


def test_a_new_reception_goes_to_the_one_entering_it_else_to_the_cards_consultant(s, people):
    other = make_user(s, "clerk")
    card = Prospect(name="赵六", consultant=other, progress="follow_up", is_scout=False)
    card.visits.append(Visit(visited_on=office_today(), summary="来电"))
    consultants.assign_reception_consultants(card, people["clerk"])
    assert card.visits[0].consultant is people["clerk"]

    card.visits.append(Visit(visited_on=office_today(), summary="二访"))
    consultants.assign_reception_consultants(card, people["admin"])
    assert card.visits[1].consultant is other


def test_a_named_consultant_is_kept(s, people):
    other = make_user(s, "clerk")
    card = Prospect(name="赵六", progress="follow_up", is_scout=False)
    card.visits.append(Visit(visited_on=office_today(), summary="来访", consultant=other))
    consultants.assign_reception_consultants(card, people["clerk"])
    assert card.visits[0].consultant is other


def test_no_consultant_to_give_is_refused(s, people):
    card = Prospect(name="赵六", progress="follow_up", is_scout=False)
    card.visits.append(Visit(visited_on=office_today(), summary="来访"))
    with pytest.raises(NoConsultant):
        consultants.assign_reception_consultants(card, people["supervisor"])
    consultants.assign_reception_consultants(card, people["supervisor"], with_supervisor=True)
    assert card.visits[0].consultant is people["supervisor"]


def test_stored_receptions_are_left_alone(s, people):
    card = make_prospect(s)
    old = make_visit(s, card)
    consultants.assign_reception_consultants(card, people["clerk"])
    assert old.consultant_id is None
