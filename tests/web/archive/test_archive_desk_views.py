"""The archive desk pages: the custodian's queues, a clerk's request, a supervisor's copy
approval, the register and its XLSX export, and 403 for the wrong roles."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from extensions import db
from models.archive.archive_desk import LookupRequest
from models.archive.archives import ArchiveFile
from models.privacy.audit import AccessEvent

# Fixed dates below were written for this instant (tests/conftest.py WRITTEN_AT).
pytestmark = pytest.mark.instant()


@pytest.fixture
def archive_file(app) -> int:
    with app.app_context():
        record = ArchiveFile(
            code="DA-0200", title="李四 业主档案", room="一号档案室", cabinet="A柜"
        )
        db.session.add(record)
        db.session.commit()
        return record.id


def _lookup(app, request_id):
    with app.app_context():
        lookup = db.session.get(LookupRequest, request_id)
        return lookup.status, lookup.file.state


def test_clerk_requests_a_lookup(app, client, login_as, archive_file):
    clerk_id = login_as("clerk")
    page = client.get("/admin/archive-lookup/?code=DA-0200")
    assert page.status_code == 200 and "DA-0200" in page.get_data(as_text=True)
    # no reason: the form comes back and nothing is filed
    response = client.post(
        "/admin/archive-lookup/", data={"code": "DA-0200", "mode": "take_out", "days": "2"}
    )
    assert response.status_code == 200
    response = client.post(
        "/admin/archive-lookup/",
        data={"code": "DA-0200", "mode": "take_out", "days": "2", "reason": "核对面积"},
    )
    assert response.status_code == 302
    with app.app_context():
        lookup = db.session.scalars(select(LookupRequest)).one()
        assert (lookup.requested_by_id, lookup.file_id, lookup.mode, lookup.days) == (
            clerk_id,
            archive_file,
            "take_out",
            2,
        )
    page = client.get("/admin/archive-lookup/").get_data(as_text=True)
    assert f"#{lookup.id}" in page


def test_the_whole_copy_journey_across_three_accounts(app, client, login_as, archive_file):
    login_as("clerk", username="clerk_w")
    client.post(
        "/admin/archive-lookup/",
        data={"code": "DA-0200", "mode": "copy", "days": "0", "reason": "复印购房合同"},
    )
    request_id = _lookup_id(app)
    client.post("/logout")
    login_as("supervisor", username="super_w")
    assert "复印购房合同" in client.get("/admin/archive-copies/").get_data(as_text=True)
    assert client.post(f"/admin/archive-copies/{request_id}/approve").status_code == 302
    assert _lookup(app, request_id) == ("approved_by_superior", "in_room")
    client.post("/logout")
    login_as("custodian", username="custodian_w")
    page = client.get("/admin/archive-desk/").get_data(as_text=True)
    assert 'id="to-decide"' in page and "复印购房合同" in page
    client.post(f"/admin/archive-desk/{request_id}/approve")
    client.post(f"/admin/archive-desk/{request_id}/hand-out")
    assert _lookup(app, request_id) == ("handed_out", "lent_out")
    page = client.get("/admin/archive-desk/").get_data(as_text=True)
    assert "DA-0200" in page.split('id="out-now"')[1]
    client.post(f"/admin/archive-desk/{request_id}/take-back", data={"condition": "完好"})
    assert _lookup(app, request_id) == ("returned", "in_room")
    # a second take-back changes nothing and says why
    response = client.post(
        f"/admin/archive-desk/{request_id}/take-back", data={"condition": ""}, follow_redirects=True
    )
    assert response.status_code == 200
    assert _lookup(app, request_id) == ("returned", "in_room")
    page = client.get("/admin/archive-register/").get_data(as_text=True)
    # The signed-in custodian's name is in the navbar too: look in the register table only.
    register = page.split('id="register"')[1].split("</table>")[0]
    for text in ("复印购房合同", "测试super_w", "测试custodian_w", "完好"):
        assert text in register
    with app.app_context():
        actions = db.session.scalars(
            select(AccessEvent.action).where(AccessEvent.record_type == "lookup_request")
        ).all()
    assert {"lookup_request", "lookup_sup_approve", "lookup_approve", "lookup_hand_out"} <= set(
        actions
    )


def _lookup_id(app) -> int:
    with app.app_context():
        return db.session.scalars(select(LookupRequest.id)).one()


def test_desk_finds_a_file_by_its_code(client, login_as, archive_file):
    login_as("custodian")
    response = client.get("/admin/archive-desk/find?code=DA-0200")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/archive-desk/file/{archive_file}/")
    page = client.get(f"/admin/archive-desk/file/{archive_file}/").get_data(as_text=True)
    assert "一号档案室 / A柜" in page and f"/admin/archive_file/details/?id={archive_file}" in page
    response = client.get("/admin/archive-desk/find?code=NOPE")
    assert response.headers["Location"].endswith("/admin/archive-desk/")


@pytest.mark.parametrize("role", ["clerk", "supervisor", "region_manager", "admin"])
def test_wrong_roles_get_403_at_the_desk(client, login_as, role):
    login_as(role)
    assert client.get("/admin/archive-desk/").status_code == 403
    assert client.post("/admin/archive-desk/1/hand-out").status_code == 403


def test_a_supervisor_cannot_approve_their_own_copy_request(app, client, login_as, archive_file):
    login_as("supervisor")
    client.post(
        "/admin/archive-lookup/",
        data={"code": "DA-0200", "mode": "excerpt", "days": "0", "reason": "自查摘抄依据"},
    )
    request_id = _lookup_id(app)
    assert "自查摘抄依据" not in client.get("/admin/archive-copies/").get_data(as_text=True)
    assert client.post(f"/admin/archive-copies/{request_id}/approve").status_code == 403
    assert _lookup(app, request_id) == ("requested", "in_room")
    with app.app_context():
        denied = db.session.scalars(
            select(AccessEvent).where(AccessEvent.outcome == "denied")
        ).all()
        assert denied  # the refusal is on record


def test_register_exports_xlsx(app, client, login_as, archive_file):
    login_as("clerk")
    client.post(
        "/admin/archive-lookup/",
        data={"code": "DA-0200", "mode": "read_in_room", "days": "0", "reason": "查阅户型图"},
    )
    client.post("/logout")
    login_as("supervisor")
    response = client.get("/admin/archive-register/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2
    assert "DA-0200" in rows[1] and "查阅户型图" in rows[1]
    # a period without lookups exports only the header
    response = client.get("/admin/archive-register/export.xlsx?start=2001-01-01&end=2001-01-31")
    assert len(list(load_workbook(BytesIO(response.data)).active.iter_rows())) == 1


def test_custodian_records_a_destruction_and_the_file_stays(app, client, login_as, archive_file):
    with app.app_context():
        from tests.factories import make_user

        approver_id = make_user(db.session, "supervisor", username="approver_d").id
        db.session.commit()
    login_as("custodian")
    url = f"/admin/archive-desk/file/{archive_file}/destroy"
    client.post(
        url, data={"reason": "", "approver": str(approver_id), "destroyed_on": "2026-05-06"}
    )
    with app.app_context():
        assert db.session.get(ArchiveFile, archive_file).state == "in_room"
    data = {"reason": "产权已转让", "approver": str(approver_id), "destroyed_on": "2026-05-06"}
    assert client.post(url, data=data).status_code == 302
    with app.app_context():
        assert db.session.get(ArchiveFile, archive_file).state == "destroyed"
    page = client.get(f"/admin/archive-desk/file/{archive_file}/").get_data(as_text=True)
    assert 'id="destruction"' in page and "产权已转让" in page and "测试approver_d" in page
