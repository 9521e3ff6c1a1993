"""A customer's correction request carried out through the usual approval of edits: the
request's page leads to the record's edit form, the clerk's edit becomes a change request
linked to the customer's request, and the supervisor's approval answers it in the same
transaction; a rejection leaves it open with the rejection shown (services/privacy/corrections.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from extensions import db
from models.privacy.audit import AccessEvent
from models.privacy.privacy import SubjectRequest
from models.sales.prospects import Prospect
from models.shared.approvals import ChangeRequest
from tests.factories import PASSWORD, make_prospect, make_user
from tests.html_forms import read_form

# Fixed dates below were written for this instant (tests/conftest.py WRITTEN_AT).
pytestmark = pytest.mark.instant()

OLD, NEW = "13800000001", "13900000009"


def _sign_in(client, app, role: str, username: str) -> int:
    with app.app_context():
        user = make_user(db.session, role, username=username, full_name=f"{username}姓名")
        db.session.commit()
        user_id = user.id
    client.post("/logout")
    client.post("/login", data={"username": username, "password": PASSWORD})
    return user_id


def _setup(app, client) -> tuple[int, int]:
    """A card and an open correction request about it, registered by a clerk."""
    with app.app_context():
        prospect_id = make_prospect(db.session, name="周杰", mobile=OLD).id
        db.session.commit()
    _sign_in(client, app, "clerk", "clerk_c")
    response = client.post(
        "/admin/subject_request/new/",
        data={
            "kind": "correct",
            "customer": f"prospect:{prospect_id}",
            "received_on": "2026-11-20",
            "note": "客户换了手机号",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        request_id = db.session.scalars(select(SubjectRequest.id)).one()
    return prospect_id, request_id


def _correct(client, request_id: int, **changes):
    """Follow "correct the record" from the request's page and save the edit form."""
    details = client.get(f"/admin/subject_request/details/?id={request_id}")
    page = details.get_data(as_text=True)
    start = page.index('id="correct-record"')
    href = page[page.rindex('href="', 0, start) + 6 : start].split('"')[0].replace("&amp;", "&")
    assert f"subject_request={request_id}" in href
    edit = client.get(href).get_data(as_text=True)
    assert 'id="correcting-request"' in edit
    form = read_form(edit)
    form.update(changes)
    return client.post(href, data=form)


def _item(app, request_id: int) -> SubjectRequest:
    with app.app_context():
        item = db.session.get(SubjectRequest, request_id)
        db.session.expunge(item)
        return item


def _change(app) -> ChangeRequest:
    with app.app_context():
        change = db.session.scalars(select(ChangeRequest)).one()
        db.session.expunge(change)
        return change


def test_an_approved_correction_answers_the_request(app, client):
    prospect_id, request_id = _setup(app, client)
    response = _correct(client, request_id, mobile=NEW, approval_reason="客户申请更正")
    assert response.status_code == 302
    change = _change(app)
    assert change.status == "pending" and change.subject_request_id == request_id
    assert _item(app, request_id).status == "open"
    page = client.get(f"/admin/subject_request/details/?id={request_id}").get_data(as_text=True)
    assert 'id="correction-attempts"' in page and f"#{change.id}" in page

    supervisor_id = _sign_in(client, app, "supervisor", "sup_c")
    client.post(f"/admin/approvals/{change.id}/approve", data={"comment": ""})
    item = _item(app, request_id)
    assert item.status == "answered"
    assert item.answered_by_id == supervisor_id and item.answered_at is not None
    assert f"#{change.id}" in item.answer_note and "sup_c姓名" in item.answer_note
    with app.app_context():
        assert db.session.get(Prospect, prospect_id).mobile == NEW
        event = db.session.scalars(
            select(AccessEvent).where(AccessEvent.action == "subject_answered")
        ).one()
        assert (event.user_id, event.record_id) == (supervisor_id, prospect_id)


def test_a_rejected_correction_leaves_the_request_open_with_the_rejection_shown(app, client):
    prospect_id, request_id = _setup(app, client)
    _correct(client, request_id, mobile=NEW, approval_reason="客户申请更正")
    change = _change(app)
    _sign_in(client, app, "supervisor", "sup_r")
    client.post(f"/admin/approvals/{change.id}/reject", data={"comment": "号码核实不符"})
    assert _item(app, request_id).status == "open"
    with app.app_context():
        assert db.session.get(Prospect, prospect_id).mobile == OLD
    page = client.get(f"/admin/subject_request/details/?id={request_id}").get_data(as_text=True)
    attempts = page[page.index('id="correction-attempts"') :]
    assert "号码核实不符" in attempts and "已驳回" in attempts
    # still open: it can be corrected again or answered
    assert 'id="correct-record"' in page and 'id="answer-request"' in page


def test_a_supervisors_direct_correction_answers_at_once(app, client):
    prospect_id, request_id = _setup(app, client)
    supervisor_id = _sign_in(client, app, "supervisor", "sup_d")
    response = _correct(client, request_id, mobile=NEW)
    assert response.status_code == 302
    item = _item(app, request_id)
    assert item.status == "answered" and item.answered_by_id == supervisor_id
    with app.app_context():
        assert db.session.get(Prospect, prospect_id).mobile == NEW
        assert db.session.scalars(select(ChangeRequest)).all() == []


def test_saving_nothing_changed_leaves_the_request_open(app, client):
    _prospect_id, request_id = _setup(app, client)
    _sign_in(client, app, "supervisor", "sup_n")
    _correct(client, request_id)
    assert _item(app, request_id).status == "open"


def test_the_mark_is_ignored_for_another_record_or_a_closed_request(app, client):
    prospect_id, request_id = _setup(app, client)
    with app.app_context():
        other_id = make_prospect(db.session, name="别人", mobile="13700000002").id
        db.session.commit()
    _sign_in(client, app, "supervisor", "sup_m")
    href = f"/admin/prospect/edit/?id={other_id}&subject_request={request_id}"
    edit = client.get(href).get_data(as_text=True)
    assert 'id="correcting-request"' not in edit
    form = read_form(edit)
    form["mobile"] = NEW
    client.post(href, data=form)
    assert _item(app, request_id).status == "open"
    with app.app_context():
        assert db.session.get(Prospect, other_id).mobile == NEW
        assert db.session.get(Prospect, prospect_id).mobile == OLD


def test_roles_that_cannot_edit_the_record_get_no_correct_link(app, client):
    _prospect_id, request_id = _setup(app, client)
    _sign_in(client, app, "admin", "admin_c")  # registers requests, edits no cards
    page = client.get(f"/admin/subject_request/details/?id={request_id}").get_data(as_text=True)
    assert 'id="correct-record"' not in page and 'id="answer-request"' in page
