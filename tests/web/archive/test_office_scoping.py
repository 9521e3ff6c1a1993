"""The archive desk, recheck, register and export, lookup requests and copies show only the
account's offices (issue 18); a copy is approved by the requester's superior when that
superior works in the file's office, otherwise by a supervisor of that office."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from extensions import db
from models.admin.people import User
from models.archive.archive_desk import LookupRequest
from models.archive.archives import ArchiveFile
from services.archive import archive_desk as desk
from services.archive import archive_register
from tests.factories import PASSWORD, make_user
from tests.web.second_office import MARK_B, make_office_b, not_found_logged

pytestmark = pytest.mark.instant()


@pytest.fixture
def office_b(app):
    """Office B's paper file, lent out and overdue, and a copy request waiting for a superior."""
    with app.app_context():
        office = make_office_b(db.session)
        on = {"office_id": office.id}
        clerk = make_user(db.session, "clerk", offices=[office])
        archive_file = ArchiveFile(
            code="XB-0001", title=f"{MARK_B}档案", room="西档案室", state="lent_out", **on
        )
        recheck = ArchiveFile(code="XB-0002", title=f"{MARK_B}待复核", room="西档案室", **on)
        db.session.add_all([archive_file, recheck])
        db.session.flush()
        out = LookupRequest(
            file=archive_file,
            requested_by_id=clerk.id,
            reason=f"{MARK_B}借出理由",
            mode="take_out",
            status="handed_out",
            due_on=archive_file.created_at.date().replace(year=2000),
            **on,
        )
        copy = LookupRequest(
            file=recheck, requested_by_id=clerk.id, reason=f"{MARK_B}复印理由", mode="copy", **on
        )
        db.session.add_all([out, copy])
        db.session.commit()
        return {
            "office": office.id,
            "file": archive_file.id,
            "recheck": recheck.id,
            "out": out.id,
            "copy": copy.id,
        }


def test_the_desk_and_its_lists_show_only_the_accounts_offices(app, client, login_as, office_b):
    custodian_id = login_as("custodian")
    for path in ("/admin/archive-desk/", "/admin/archive-recheck/", "/admin/archive-register/"):
        page = client.get(path).get_data(as_text=True)
        assert "XB-000" not in page and MARK_B not in page, path
    export = client.get("/admin/archive-register/export.xlsx")
    cells = [c.value for row in load_workbook(BytesIO(export.data)).active.iter_rows() for c in row]
    assert not any(MARK_B in str(value) for value in cells)
    with app.app_context():
        custodian = db.session.get(User, custodian_id)
        assert archive_register.overdue_count(db.session, user=custodian) == 0
        admin = make_user(db.session, "admin")
        assert archive_register.overdue_count(db.session, user=admin) == 1


def test_another_offices_file_or_request_is_not_found(app, client, login_as, office_b):
    login_as("custodian")
    path = f"/admin/archive-desk/file/{office_b['file']}/"
    assert client.get(path).status_code == 404
    assert not_found_logged(app, path)
    found = client.get("/admin/archive-desk/find?code=XB-0001", follow_redirects=True)
    assert "没有编号为 XB-0001 的纸质档案" in found.get_data(as_text=True)
    steps = (
        f"/admin/archive-desk/{office_b['out']}/take-back",
        f"/admin/archive-desk/{office_b['copy']}/refuse",
        f"/admin/archive-recheck/{office_b['recheck']}/rechecked",
        f"/admin/archive-desk/file/{office_b['recheck']}/destroy",
    )
    for step in steps:
        assert client.post(step, data={"reason": "越权", "condition": "完好"}).status_code == 404
    with app.app_context():
        assert db.session.get(LookupRequest, office_b["out"]).status == "handed_out"
        assert db.session.get(LookupRequest, office_b["copy"]).status == "requested"
        assert db.session.get(ArchiveFile, office_b["recheck"]).last_checked_on is None


def test_a_clerk_cannot_ask_for_another_offices_file(app, client, login_as, office_b):
    login_as("clerk")
    page = client.post(
        "/admin/archive-lookup/",
        data={"code": "XB-0001", "mode": "read_in_room", "days": "0", "reason": "看看"},
    ).get_data(as_text=True)
    assert "没有该编号的纸质档案" in page
    with app.app_context():
        assert (
            db.session.scalar(select(LookupRequest.id).where(LookupRequest.reason == "看看"))
            is None
        )


def test_a_supervisor_of_another_office_neither_sees_nor_approves_a_copy(
    app, client, login_as, office_b
):
    login_as("supervisor")
    assert f"{MARK_B}复印理由" not in client.get("/admin/archive-copies/").get_data(as_text=True)
    path = f"/admin/archive-copies/{office_b['copy']}/approve"
    assert client.post(path, data={}).status_code == 404
    with app.app_context():
        assert db.session.get(LookupRequest, office_b["copy"]).status == "requested"


# --- who approves a copy -----------------------------------------------------------------------
@pytest.fixture
def copy_people(app, office_b):
    """A file of office A; a clerk whose superior works in A, a clerk whose superior works
    only in B, another supervisor of A and the supervisor of B."""
    with app.app_context():
        from models.admin.offices import Office

        office_a = db.session.scalar(select(Office).order_by(Office.id))
        office = db.session.get(Office, office_b["office"])
        boss_a = make_user(db.session, "supervisor", offices=[office_a])
        other_a = make_user(db.session, "supervisor", offices=[office_a])
        boss_b = make_user(db.session, "supervisor", offices=[office])
        near = make_user(db.session, "clerk", offices=[office_a], superior=boss_a)
        far = make_user(db.session, "clerk", offices=[office_a, office], superior=boss_b)
        archive_file = ArchiveFile(code="DA-0300", title="本部档案", room="一号档案室")
        db.session.add(archive_file)
        db.session.flush()
        people = {
            name: user.id
            for name, user in (
                ("boss_a", boss_a),
                ("other_a", other_a),
                ("boss_b", boss_b),
                ("near", near),
                ("far", far),
            )
        }
        for name in ("near", "far"):
            requester = db.session.get(User, people[name])
            lookup = desk.request_lookup(
                db.session, requester, file_id=archive_file.id, reason="复印合同", mode="copy"
            )
            people[f"{name}_copy"] = lookup.id
        db.session.commit()
        return people


def _approve(app, people, approver: str, copy: str):
    with app.app_context():
        user = db.session.get(User, people[approver])
        desk.superior_decide(db.session, user, people[copy], approve=True)
        db.session.commit()
        return db.session.get(LookupRequest, people[copy]).status


def test_the_superior_in_the_files_office_approves_and_no_other(app, copy_people):
    with pytest.raises(desk.NotTheSuperior):
        _approve(app, copy_people, "other_a", "near_copy")
    with app.app_context():
        waiting = desk.copies_waiting(db.session, db.session.get(User, copy_people["other_a"]))
        assert copy_people["near_copy"] not in [r.id for r in waiting]
    assert _approve(app, copy_people, "boss_a", "near_copy") == "approved_by_superior"


def test_a_superior_outside_the_files_office_leaves_it_to_that_offices_supervisors(
    app, copy_people
):
    # The far clerk's superior works only in B: the file is A's, so A's supervisors approve.
    with pytest.raises(desk.NoSuchRecord):
        _approve(app, copy_people, "boss_b", "far_copy")
    with app.app_context():
        for name in ("boss_a", "other_a"):
            waiting = desk.copies_waiting(db.session, db.session.get(User, copy_people[name]))
            assert copy_people["far_copy"] in [r.id for r in waiting]
    assert _approve(app, copy_people, "other_a", "far_copy") == "approved_by_superior"


def test_the_copies_page_follows_the_same_rule(app, client, copy_people):
    with app.app_context():
        username = db.session.get(User, copy_people["other_a"]).username
    client.post("/login", data={"username": username, "password": PASSWORD})
    page = client.get("/admin/archive-copies/").get_data(as_text=True)
    assert f"/admin/archive-copies/{copy_people['far_copy']}/approve" in page
    assert f"/admin/archive-copies/{copy_people['near_copy']}/approve" not in page
    near = client.post(f"/admin/archive-copies/{copy_people['near_copy']}/approve", data={})
    assert near.status_code == 403
