"""Approvals go to the record's office (issue 18): a request carries the office of its
record when filed, the queue, the badge, the detail and the decision are the approver's
offices' only (a dealer's request, of no office, stays with every approver), and a
supervisor of office A cannot decide office B's request (404)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from extensions import db
from models.admin.people import User
from models.property.property import Owner
from models.shared.approvals import ChangeRequest
from services.shared import approvals
from tests.factories import PASSWORD, make_user
from tests.web.second_office import MARK_B, default_office_id, make_office_b, not_found_logged

pytestmark = pytest.mark.instant()


def _file(session, clerk: User, owner: Owner, new_name: str) -> ChangeRequest:
    return approvals.file_update(
        session,
        user=clerk,
        record_type="owner",
        record=owner,
        changes={
            "name": {
                "old": owner.name,
                "new": new_name,
                "old_label": owner.name,
                "new_label": new_name,
            }
        },
        reason=f"{MARK_B}更正" if MARK_B in owner.name else "本部更正",
    )


@pytest.fixture
def requests(app):
    """An owner and a pending request in each office, the supervisors of both, and a
    dealer's request (no office)."""
    with app.app_context():
        office_a = default_office_id(db.session)
        office = make_office_b(db.session)
        clerk_a = make_user(db.session, "clerk")
        clerk_b = make_user(db.session, "clerk", offices=[office])
        sup_a = make_user(db.session, "supervisor")
        sup_b = make_user(db.session, "supervisor", offices=[office])
        owner_a = Owner(name="本部业主", office_id=office_a)
        owner_b = Owner(name=f"{MARK_B}业主", office_id=office.id)
        db.session.add_all([owner_a, owner_b])
        db.session.flush()
        mine = _file(db.session, clerk_a, owner_a, "本部业主新名")
        theirs = _file(db.session, clerk_b, owner_b, f"{MARK_B}业主新名")
        dealer = ChangeRequest(
            record_type="dealer",
            record_id=1,
            record_version=1,
            kind="delete",
            changes={},
            reason="经销商注销",
            requested_by_id=clerk_b.id,
        )
        db.session.add(dealer)
        db.session.commit()
        return {
            "office_a": office_a,
            "office_b": office.id,
            "mine": mine.id,
            "theirs": theirs.id,
            "dealer": dealer.id,
            "owner_b": owner_b.id,
            **{
                name: user.username
                for name, user in (("sup_a", sup_a), ("sup_b", sup_b), ("clerk_b", clerk_b))
            },
        }


def _sign_in(client, username: str) -> None:
    client.post("/logout")
    client.post("/login", data={"username": username, "password": PASSWORD})


def test_a_request_carries_its_records_office(app, requests):
    with app.app_context():
        offices = {r.id: r.office_id for r in db.session.scalars(select(ChangeRequest))}
    assert offices == {
        requests["mine"]: requests["office_a"],
        requests["theirs"]: requests["office_b"],
        requests["dealer"]: None,
    }


def test_the_queue_and_badge_show_the_approvers_offices_only(app, client, requests):
    _sign_in(client, requests["sup_a"])
    queue = client.get("/admin/approvals/").get_data(as_text=True)
    assert f"/admin/approvals/{requests['mine']}/" in queue
    assert f"/admin/approvals/{requests['dealer']}/" in queue
    assert f"/admin/approvals/{requests['theirs']}/" not in queue
    assert MARK_B not in queue
    home = client.get("/admin/").get_data(as_text=True)
    assert '<span class="badge badge-warning">2</span>' in home


def test_another_offices_request_is_not_found_and_cannot_be_decided(app, client, requests):
    _sign_in(client, requests["sup_a"])
    theirs = requests["theirs"]
    path = f"/admin/approvals/{theirs}/"
    response = client.get(path)
    assert response.status_code == 404 and MARK_B not in response.get_data(as_text=True)
    assert not_found_logged(app, path)
    assert client.post(f"{path}approve", data={"comment": ""}).status_code == 404
    assert client.post(f"{path}reject", data={"comment": "不行"}).status_code == 404
    with app.app_context():
        assert db.session.get(ChangeRequest, theirs).status == "pending"
        assert db.session.get(Owner, requests["owner_b"]).name == f"{MARK_B}业主"
        sup_a = db.session.scalar(select(User).where(User.username == requests["sup_a"]))
        with pytest.raises(approvals.NotFound):
            approvals.approve(db.session, user=sup_a, request_id=theirs)
        db.session.rollback()


def test_the_records_office_decides(app, client, requests):
    _sign_in(client, requests["sup_b"])
    queue = client.get("/admin/approvals/").get_data(as_text=True)
    assert f"/admin/approvals/{requests['mine']}/" not in queue
    response = client.post(f"/admin/approvals/{requests['theirs']}/approve", data={"comment": ""})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(ChangeRequest, requests["theirs"]).status == "approved"
        assert db.session.get(Owner, requests["owner_b"]).name == f"{MARK_B}业主新名"


def test_the_group_admin_sees_every_request(app, client, requests):
    with app.app_context():
        admin = make_user(db.session, "admin")
        db.session.commit()
        username = admin.username
    _sign_in(client, username)
    queue = client.get("/admin/approvals/").get_data(as_text=True)
    for key in ("mine", "theirs", "dealer"):
        assert f"/admin/approvals/{requests[key]}/" in queue
    assert client.get(f"/admin/approvals/{requests['theirs']}/").status_code == 200


def test_my_requests_keep_to_my_offices(app, client, requests):
    _sign_in(client, requests["clerk_b"])
    row = f"<td>#{requests['theirs']}</td>"
    assert row in client.get("/admin/my-requests/").get_data(as_text=True)
    with app.app_context():
        clerk_b = db.session.scalar(select(User).where(User.username == requests["clerk_b"]))
        clerk_b.offices = []  # moved out of office B
        db.session.commit()
    assert row not in client.get("/admin/my-requests/").get_data(as_text=True)
