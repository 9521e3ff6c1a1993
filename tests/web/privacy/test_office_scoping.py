"""Customers' requests, corrections and the retention review keep to the account's offices
(issue 18): office B's customers and requests never show to office A's staff, a request is
not registered for them, and a retention batch covers the offices of the person who asked,
decided only by someone who works for all of them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from extensions import db
from models.admin.people import User
from models.privacy.privacy import RetentionBatch, SubjectRequest
from models.sales.prospects import Prospect
from services.privacy import audit, corrections, retention, subject_requests
from tests.factories import PASSWORD, make_prospect, make_user
from tests.web.second_office import MARK_B, make_office_b, not_found_logged

pytestmark = pytest.mark.instant()

TODAY = date(2026, 11, 25)
OLD = TODAY - timedelta(days=4 * 365)


@pytest.fixture
def office_b(app):
    """A stale card in each office, B's correction request, and a supervisor of B."""
    with app.app_context():
        office = make_office_b(db.session)
        stale_a = make_prospect(
            db.session, name="本部久未联系", first_visit_on=OLD, last_contact_on=OLD
        )
        stale_b = make_prospect(
            db.session,
            name=f"{MARK_B}久未联系",
            first_visit_on=OLD,
            last_contact_on=OLD,
            office_id=office.id,
        )
        request_b = SubjectRequest(
            kind="correct",
            subject_type="prospect",
            subject_id=stale_b.id,
            received_on=TODAY,
            due_on=TODAY + timedelta(days=21),
            note=f"{MARK_B}更正请求",
            office_id=office.id,
        )
        db.session.add(request_b)
        sup_b = make_user(db.session, "supervisor", offices=[office])
        db.session.commit()
        return {
            "office": office.id,
            "stale_a": stale_a.id,
            "stale_b": stale_b.id,
            "request_b": request_b.id,
            "sup_b": sup_b.username,
        }


def _user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def test_a_request_is_not_registered_for_another_offices_customer(app, login_as, office_b):
    with app.app_context():
        clerk = make_user(db.session, "clerk")
        item = SubjectRequest(
            kind="copy", subject_type="prospect", subject_id=office_b["stale_b"], received_on=TODAY
        )
        db.session.add(item)
        actor = audit.Actor(clerk.id, clerk.username, clerk.role_code)
        with pytest.raises(subject_requests.RequestError):
            subject_requests.register(db.session, item, clerk, actor)
        db.session.rollback()


def test_another_offices_request_is_not_listed_nor_found(app, client, login_as, office_b):
    login_as("supervisor")
    listing = client.get("/admin/subject_request/").get_data(as_text=True)
    assert MARK_B not in listing
    path = "/admin/subject_request/details/"
    assert client.get(f"{path}?id={office_b['request_b']}").status_code == 404
    assert not_found_logged(app, path)
    answer = client.post(
        f"/admin/subject_request/answer/?id={office_b['request_b']}",
        data={"answer_note": "已答复"},
    )
    assert answer.status_code == 404
    with app.app_context():
        assert db.session.get(SubjectRequest, office_b["request_b"]).status == "open"


def test_a_correction_mark_of_another_office_is_ignored(app, office_b):
    with app.app_context():
        clerk = make_user(db.session, "clerk")
        sup_b = _user(office_b["sup_b"])
        args = (office_b["request_b"], "prospect", office_b["stale_b"])
        assert corrections.open_correction(db.session, *args, clerk) is None
        assert corrections.open_correction(db.session, *args, sup_b).id == office_b["request_b"]


def test_the_retention_review_counts_and_anonymises_the_askers_offices(
    app, client, login_as, office_b
):
    login_as("supervisor")
    page = client.get("/admin/retention/").get_data(as_text=True)
    assert '<td id="retention-count-prospect"><strong>1</strong></td>' in page
    client.post("/admin/retention/request/", data={"kind": "prospect"})
    with app.app_context():
        batch = db.session.scalars(select(RetentionBatch)).one()
        assert batch.expected == 1
        batch_id = batch.id
    # B's supervisor neither sees A's batch nor decides it.
    client.post("/logout")
    client.post("/login", data={"username": office_b["sup_b"], "password": PASSWORD})
    assert f"/admin/retention/decide/{batch_id}/" not in client.get("/admin/retention/").get_data(
        as_text=True
    )
    path = f"/admin/retention/decide/{batch_id}/"
    assert client.post(path, data={"decision": "approve"}).status_code == 404
    # Another supervisor of A approves: A's stale card is anonymised, B's is not.
    client.post("/logout")
    login_as("supervisor")
    assert client.post(path, data={"decision": "approve"}).status_code == 302
    with app.app_context():
        assert db.session.get(RetentionBatch, batch_id).anonymised == 1
        assert db.session.get(Prospect, office_b["stale_a"]).name == "已匿名"
        assert db.session.get(Prospect, office_b["stale_b"]).name == f"{MARK_B}久未联系"


def test_a_batch_of_every_office_is_decided_by_someone_who_sees_them_all(app, office_b):
    with app.app_context():
        admin = make_user(db.session, "admin")
        sup_a = make_user(db.session, "supervisor")
        actor = audit.Actor(admin.id, admin.username, admin.role_code)
        batch = retention.request_batch(db.session, admin, actor, "prospect", TODAY)
        assert batch.expected == 2
        db.session.commit()
        assert retention.pending_batches(db.session, sup_a) == []
        with pytest.raises(retention.RetentionError):
            retention.decide_batch(db.session, batch, sup_a, actor, True)
        db.session.rollback()
        other_admin = make_user(db.session, "admin")
        assert retention.decide_batch(db.session, batch, other_admin, actor, True) == 2
