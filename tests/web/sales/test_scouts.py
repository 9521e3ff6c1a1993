"""A competitor's scout through the real views: the consultant proposes with a reason on the
card, a supervisor confirms in the approvals queue, and the card leaves the counts."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from extensions import db
from models.sales.prospects import Prospect
from models.shared.approvals import ChangeRequest
from tests.factories import make_prospect, make_user, make_visit

# The weekly page counts "right now": the instant is pinned, the cards dated before it.
pytestmark = pytest.mark.instant("2026-11-25T02:00:00+00:00")

ON = date(2026, 11, 23)


def _card(app, consultant_id, name="周杰", grade="B") -> int:
    with app.app_context():
        card = make_prospect(
            db.session, name=name, grade=grade, consultant_id=consultant_id, first_visit_on=ON
        )
        make_visit(db.session, card, visited_on=ON, consultant_id=consultant_id)
        db.session.commit()
        return card.id


def _requests(app) -> list[tuple[int, str, str, int]]:
    with app.app_context():
        return [
            (r.id, r.status, r.reason, r.requested_by_id)
            for r in db.session.scalars(select(ChangeRequest).order_by(ChangeRequest.id))
        ]


def _is_scout(app, card_id) -> bool:
    with app.app_context():
        return db.session.get(Prospect, card_id).is_scout


def _switch(client, login_as, role):
    client.post("/logout")
    return login_as(role)


def test_clerk_proposes_and_supervisor_confirms(app, client, login_as):
    clerk_id = login_as("clerk")
    card_id = _card(app, clerk_id)
    _card(app, clerk_id, name="吴磊", grade="C")

    details = client.get(f"/admin/prospect/details/?id={card_id}").get_data(as_text=True)
    assert 'id="scout-form"' in details
    assert "报告为同行踩盘" in details
    assert "非踩盘" in details and "True" not in details and "False" not in details

    # no reason: refused, nothing filed
    url = f"/admin/prospect/propose-scout/?id={card_id}"
    refused = client.post(url, data={"reason": "  "}, follow_redirects=True)
    assert "请说明判断为同行踩盘的理由" in refused.get_data(as_text=True)
    assert _requests(app) == []

    client.post(url, data={"reason": "同行售楼处的置业顾问"})
    [(request_id, status, reason, by)] = _requests(app)
    assert (status, reason, by) == ("pending", "同行售楼处的置业顾问", clerk_id)
    assert _is_scout(app, card_id) is False
    details = client.get(f"/admin/prospect/details/?id={card_id}").get_data(as_text=True)
    assert 'id="scout-pending"' in details and 'id="scout-form"' not in details

    # a second proposal while the first waits is refused
    again = client.post(url, data={"reason": "再报一次"}, follow_redirects=True)
    assert "已在等待现场主管确认" in again.get_data(as_text=True)
    assert len(_requests(app)) == 1
    # the requester cannot decide it
    assert client.post(f"/admin/approvals/{request_id}/approve", data={}).status_code == 403

    _switch(client, login_as, "supervisor")
    weekly = client.get("/admin/sales/weekly/").get_data(as_text=True)
    assert "当前：B类 1 个，C类 1 个" in weekly
    queue = client.get("/admin/approvals/").get_data(as_text=True)
    assert "同行踩盘" in queue and "同行售楼处的置业顾问" in queue and "is_scout" not in queue
    detail = client.get(f"/admin/approvals/{request_id}/").get_data(as_text=True)
    assert "同行踩盘" in detail and "非踩盘" in detail
    assert "is_scout" not in detail and "False" not in detail
    response = client.post(f"/admin/approvals/{request_id}/approve", data={"comment": "同意"})
    assert response.status_code == 302
    assert _is_scout(app, card_id) is True

    weekly = client.get("/admin/sales/weekly/").get_data(as_text=True)
    assert "当前：B类 0 个，C类 1 个" in weekly
    details = client.get(f"/admin/prospect/details/?id={card_id}").get_data(as_text=True)
    assert 'id="scout-flag"' in details and "scout-badge" in details
    assert 'id="scout-form"' not in details
    listing = client.get("/admin/prospect/").get_data(as_text=True)
    assert listing.count('class="badge badge-dark scout-badge"') == 1
    day = client.get(
        f"/admin/sales/day-cards/?consultant={clerk_id}&day={ON.isoformat()}"
    ).get_data(as_text=True)
    assert '<td class="entered">1</td>' in day
    assert "scout-row" in day and "不计入" in day


def test_a_supervisors_own_proposal_waits_for_another_approver(app, client, login_as):
    with app.app_context():
        clerk = make_user(db.session, "clerk")
        db.session.commit()
        clerk_id = clerk.id
    card_id = _card(app, clerk_id)
    login_as("supervisor")
    client.post(f"/admin/prospect/propose-scout/?id={card_id}", data={"reason": "认识此人"})
    [(request_id, status, _reason, _by)] = _requests(app)
    assert status == "pending"
    assert client.post(f"/admin/approvals/{request_id}/approve", data={}).status_code == 403
    assert _is_scout(app, card_id) is False
    _switch(client, login_as, "admin")
    client.post(f"/admin/approvals/{request_id}/approve", data={})
    assert _is_scout(app, card_id) is True


def test_roles_without_the_edit_right_see_no_proposal(app, client, login_as):
    card_id = _card(app, None)
    login_as("custodian")
    details = client.get(f"/admin/prospect/details/?id={card_id}").get_data(as_text=True)
    assert 'id="scout-form"' not in details
    url = f"/admin/prospect/propose-scout/?id={card_id}"
    assert client.post(url, data={"reason": "x"}).status_code == 403
    assert _requests(app) == []
