"""Complaints keep to the account's offices (issue 18): office B's complaints never show to
office A's staff (list, details, steps, home numbers), a complaint is not registered for
B's customer, and its handler works in the complaint's office."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from extensions import db
from models.care.complaints import Complaint
from services.care import complaints
from tests.factories import make_prospect, make_user
from tests.web.care.test_complaints import _form, _register
from tests.web.second_office import MARK_B, make_office_b, not_found_logged

pytestmark = pytest.mark.instant()

TODAY = date(2026, 11, 25)


@pytest.fixture
def office_b(app):
    """B's customer with an overdue complaint, and a clerk of B."""
    with app.app_context():
        office = make_office_b(db.session)
        card = make_prospect(db.session, name=f"{MARK_B}投诉人", office_id=office.id)
        clerk_b = make_user(db.session, "clerk", offices=[office], full_name=f"{MARK_B}文员")
        complaint = Complaint(
            subject_type="prospect",
            subject_id=card.id,
            received_on=date(2026, 11, 2),
            due_on=date(2026, 11, 9),
            channel="phone",
            category="service",
            summary=f"{MARK_B}投诉内容",
            handler_id=clerk_b.id,
            office_id=office.id,
        )
        db.session.add(complaint)
        db.session.commit()
        return {"card": card.id, "clerk": clerk_b.id, "complaint": complaint.id}


def test_another_offices_complaint_is_neither_listed_nor_found(app, client, login_as, office_b):
    login_as("supervisor")
    assert MARK_B not in client.get("/admin/complaint/").get_data(as_text=True)
    path = "/admin/complaint/details/"
    assert client.get(f"{path}?id={office_b['complaint']}").status_code == 404
    assert not_found_logged(app, path)
    response = client.post(
        f"/admin/complaint/answer/?id={office_b['complaint']}",
        data={"answer": "已回电", "version": "1"},
    )
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Complaint, office_b["complaint"]).status == "open"


def test_the_home_numbers_count_the_accounts_offices(app, office_b):
    with app.app_context():
        supervisor = make_user(db.session, "supervisor")
        admin = make_user(db.session, "admin")
        assert complaints.counts(db.session, TODAY, supervisor) == {"open": 0, "overdue": 0}
        assert complaints.counts(db.session, TODAY, admin) == {"open": 1, "overdue": 1}
        assert complaints.overdue(db.session, TODAY, supervisor) == []


def test_a_complaint_is_not_registered_for_another_offices_customer(
    app, client, login_as, office_b
):
    login_as("clerk")
    response = client.post("/admin/complaint/new/", data=_form(office_b["card"]))
    assert response.status_code == 200  # the form again: B's customer is not found
    with app.app_context():
        assert db.session.scalars(select(Complaint.id)).all() == [office_b["complaint"]]
        # The rule itself, whatever the form lets through.
        clerk = make_user(db.session, "clerk")
        item = Complaint(**_values(office_b["card"]))
        with pytest.raises(complaints.ComplaintError, match="找不到该客户记录"):
            complaints.register(db.session, item, clerk, None)
        db.session.rollback()


def _values(card_id: int) -> dict:
    return {
        "subject_type": "prospect",
        "subject_id": card_id,
        "received_on": date(2026, 11, 20),
        "channel": "phone",
        "category": "service",
        "summary": "前台无人接待",
    }


def test_the_handler_works_in_the_complaints_office(app, client, login_as, office_b):
    with app.app_context():
        card_id = make_prospect(db.session, name="本部投诉人").id
        db.session.commit()
    login_as("supervisor")
    form = client.get("/admin/complaint/new/").get_data(as_text=True)
    assert f"{MARK_B}文员" not in form
    response = client.post(
        "/admin/complaint/new/", data=_form(card_id, handler=str(office_b["clerk"]))
    )
    assert response.status_code == 200  # refused: the form again
    complaint_id = _register(client, card_id)
    with app.app_context():
        item = db.session.get(Complaint, complaint_id)
        supervisor = make_user(db.session, "supervisor")
        with pytest.raises(complaints.ComplaintError):
            complaints.assign(db.session, item, office_b["clerk"], supervisor, None)
        db.session.rollback()
