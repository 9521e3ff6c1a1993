"""Approval-gated edits through the real views: clerk files, supervisor decides."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.clock import office_today
from extensions import db
from models.sales.prospects import Prospect
from models.shared.approvals import ChangeRequest, RecordHistory
from tests.factories import PASSWORD, make_prospect, make_user, ref_item

# Relative to the office's today: make test repeats these at NAMED_INSTANTS.
pytestmark = pytest.mark.day_sensitive


def _prospect(app, **kwargs) -> int:
    with app.app_context():
        prospect = make_prospect(db.session, **kwargs)
        db.session.commit()
        return prospect.id


def _edit_form(app, prospect_id, **overrides) -> dict:
    with app.app_context():
        p = db.session.get(Prospect, prospect_id)
        data = {
            "name": p.name,
            "mobile": p.mobile,
            "landline": p.landline or "",
            "source": str(p.source_id or ref_item(db.session, "source_channel").id),
            "grade": p.grade or "",
            "progress": p.progress,
            "notes": p.notes or "",
        }
    data.update(overrides)
    return data


def _sign_in(client, app, role, username):
    with app.app_context():
        user = make_user(db.session, role, username=username)
        db.session.commit()
        user_id = user.id
    client.post("/logout")
    client.post("/login", data={"username": username, "password": PASSWORD})
    return user_id


def _requests(app):
    with app.app_context():
        rows = db.session.scalars(select(ChangeRequest).order_by(ChangeRequest.id)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def test_clerk_correction_becomes_a_request_and_supervisor_approves(app, client):
    pid = _prospect(app, name="周杰", mobile="13800000001")
    _sign_in(client, app, "clerk", "clerk_a")
    form = _edit_form(app, pid, mobile="13900000009", approval_reason="客户换号")
    response = client.post(f"/admin/prospect/edit/?id={pid}", data=form)
    assert response.status_code == 302
    assert "/details/" in response.headers["Location"]
    (request,) = _requests(app)
    assert request.status == "pending" and request.fields == ["mobile"]
    details = client.get(f"/admin/prospect/details/?id={pid}").get_data(as_text=True)
    assert 'id="pending-changes"' in details
    with app.app_context():
        assert db.session.get(Prospect, pid).mobile == "13800000001"

    _sign_in(client, app, "supervisor", "sup_a")
    queue = client.get("/admin/approvals/").get_data(as_text=True)
    assert f"#{request.id}" in queue
    diff = client.get(f"/admin/approvals/{request.id}/").get_data(as_text=True)
    # the diff tells the numbers apart without showing them whole
    assert "138****0001" in diff and "139****0009" in diff
    assert "13800000001" not in diff and "13900000009" not in diff
    response = client.post(f"/admin/approvals/{request.id}/approve", data={"comment": ""})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Prospect, pid).mobile == "13900000009"

    _sign_in(client, app, "clerk", "clerk_b")
    client.post("/logout")
    client.post("/login", data={"username": "clerk_a", "password": PASSWORD})
    mine = client.get("/admin/my-requests/").get_data(as_text=True)
    assert f"#{request.id}" in mine
    # The change history is one of the card's panels, read after its details page.
    panels = f"/admin/prospect/details/panels/?id={pid}&partial=1"
    history = client.get(panels).get_data(as_text=True)
    assert "sup_a" in history or "测试sup_a" in history


def test_no_reason_no_request(app, client):
    pid = _prospect(app, mobile="13800000001")
    _sign_in(client, app, "clerk", "clerk_a")
    response = client.post(
        f"/admin/prospect/edit/?id={pid}", data=_edit_form(app, pid, mobile="13900000009")
    )
    assert response.status_code == 200
    assert 'value="13900000009"' in response.get_data(as_text=True)
    assert _requests(app) == []


def test_second_request_on_the_same_field_is_refused_with_a_pointer(app, client):
    pid = _prospect(app, mobile="13800000001")
    _sign_in(client, app, "clerk", "clerk_a")
    data = _edit_form(app, pid, mobile="13900000009", approval_reason="换号")
    client.post(f"/admin/prospect/edit/?id={pid}", data=data)
    (first,) = _requests(app)
    data = _edit_form(app, pid, mobile="13700000007", approval_reason="又换号")
    response = client.post(f"/admin/prospect/edit/?id={pid}", data=data, follow_redirects=True)
    assert f"#{first.id}" in response.get_data(as_text=True)
    assert len(_requests(app)) == 1


def test_supervisor_edits_directly_but_downgrades_go_to_approval(app, client):
    pid = _prospect(app, grade="C", notes="")
    _sign_in(client, app, "supervisor", "sup_a")
    client.post(f"/admin/prospect/edit/?id={pid}", data=_edit_form(app, pid, grade="B"))
    with app.app_context():
        assert db.session.get(Prospect, pid).grade == "B"  # upgrade: direct
    data = _edit_form(app, pid, grade="D", notes="直接修改", approval_reason="多次联系无意向")
    client.post(f"/admin/prospect/edit/?id={pid}", data=data)
    with app.app_context():
        prospect = db.session.get(Prospect, pid)
        assert prospect.grade == "B" and prospect.notes == "直接修改"
    (request,) = _requests(app)
    assert request.fields == ["grade"]
    # The supervisor cannot approve their own downgrade: 403, and the refusal is recorded.
    response = client.post(f"/admin/approvals/{request.id}/approve", data={"comment": ""})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(ChangeRequest, request.id).status == "pending"
        refused = db.session.scalars(
            select(RecordHistory).where(RecordHistory.event == "refused")
        ).all()
        assert len(refused) == 1
    _sign_in(client, app, "supervisor", "sup_b")
    client.post(f"/admin/approvals/{request.id}/approve", data={"comment": "同意"})
    with app.app_context():
        assert db.session.get(Prospect, pid).grade == "D"


def test_reject_needs_a_comment(app, client):
    pid = _prospect(app, mobile="13800000001")
    _sign_in(client, app, "clerk", "clerk_a")
    client.post(
        f"/admin/prospect/edit/?id={pid}",
        data=_edit_form(app, pid, mobile="13900000009", approval_reason="换号"),
    )
    (request,) = _requests(app)
    _sign_in(client, app, "admin", "admin_a")
    client.post(f"/admin/approvals/{request.id}/reject", data={"comment": ""})
    assert _requests(app)[0].status == "pending"
    client.post(f"/admin/approvals/{request.id}/reject", data={"comment": "号码未变"})
    assert _requests(app)[0].status == "rejected"
    with app.app_context():
        assert db.session.get(Prospect, pid).mobile == "13800000001"


def test_direct_delete_and_batch_delete_cannot_bypass_the_gate(app, client):
    pid = _prospect(app)
    _sign_in(client, app, "supervisor", "sup_a")
    client.post("/admin/prospect/delete/", data={"id": str(pid)})
    client.post("/admin/prospect/action/", data={"action": "delete", "rowid": str(pid)})
    with app.app_context():
        assert db.session.get(Prospect, pid) is not None


def test_deletion_request_then_approval(app, client):
    pid = _prospect(app)
    _sign_in(client, app, "clerk", "clerk_a")
    page = client.get(f"/admin/prospect/request-delete/?id={pid}")
    assert page.status_code == 200
    assert (
        client.post(f"/admin/prospect/request-delete/?id={pid}", data={"reason": ""}).status_code
        == 200
    )
    client.post(f"/admin/prospect/request-delete/?id={pid}", data={"reason": "重复录入"})
    (request,) = _requests(app)
    assert request.kind == "delete"
    _sign_in(client, app, "supervisor", "sup_a")
    client.post(f"/admin/approvals/{request.id}/approve", data={"comment": ""})
    with app.app_context():
        assert db.session.get(Prospect, pid) is None


def test_creating_and_adding_a_visit_stay_direct(app, client):
    pid = _prospect(app)
    _sign_in(client, app, "clerk", "clerk_a")
    data = _edit_form(
        app,
        pid,
        **{"visits-0-visited_on": office_today().isoformat(), "visits-0-summary": "电话回访"},
    )
    client.post(f"/admin/prospect/edit/?id={pid}", data=data)
    with app.app_context():
        assert len(db.session.get(Prospect, pid).visits) == 1
    assert _requests(app) == []


def test_navbar_badge_counts_pending_for_approvers(app, client):
    pid = _prospect(app, mobile="13800000001")
    _sign_in(client, app, "clerk", "clerk_a")
    client.post(
        f"/admin/prospect/edit/?id={pid}",
        data=_edit_form(app, pid, mobile="13900000009", approval_reason="换号"),
    )
    assert 'id="approvals-badge"' not in client.get("/admin/").get_data(as_text=True)
    _sign_in(client, app, "supervisor", "sup_a")
    page = client.get("/admin/").get_data(as_text=True)
    assert 'id="approvals-badge"' in page
    assert '<span class="badge badge-warning">1</span>' in page


def _events(app, action: str, record_id: int) -> list[tuple[str, str]]:
    from models.privacy.audit import AccessEvent

    with app.app_context():
        return [
            (e.username, e.outcome)
            for e in db.session.scalars(
                select(AccessEvent)
                .where(AccessEvent.action == action, AccessEvent.record_id == record_id)
                .order_by(AccessEvent.seq)
            )
        ]


def test_reading_and_deciding_a_request_are_access_events(app, client):
    """The request shows the customer's old and new values and the decision changes them:
    both are on the access log, with the approver's name."""
    pid = _prospect(app, mobile="13800000001")
    second = _prospect(app, mobile="13800000002")
    _sign_in(client, app, "clerk", "clerk_a")
    for record_id in (pid, second):
        client.post(
            f"/admin/prospect/edit/?id={record_id}",
            data=_edit_form(app, record_id, mobile="13900000009", approval_reason="换号"),
        )
    first_request, second_request = _requests(app)
    _sign_in(client, app, "supervisor", "sup_a")
    assert client.get(f"/admin/approvals/{first_request.id}/").status_code == 200
    assert ("sup_a", "ok") in _events(app, "details", pid)
    client.post(f"/admin/approvals/{first_request.id}/approve", data={"comment": ""})
    assert _events(app, "approve", pid) == [("sup_a", "ok")]
    client.post(f"/admin/approvals/{second_request.id}/reject", data={"comment": "号码未变"})
    assert _events(app, "reject", second) == [("sup_a", "ok")]
