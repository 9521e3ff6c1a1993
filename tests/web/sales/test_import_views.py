"""The import page end to end through the test client: upload, map, check, import, fix."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from extensions import db
from models.privacy.audit import AccessEvent
from models.sales.prospects import Prospect
from models.shared.imports import ImportMapping
from tests.factories import ref_item
from tests.importing import good_row, wait_for_jobs, write_xlsx

# Fixed dates below were written for this instant (tests/conftest.py WRITTEN_AT).
pytestmark = pytest.mark.instant()


def _upload(client, path, name="cards.xlsx"):
    with open(path, "rb") as handle:
        return client.post(
            "/admin/import/",
            data={"file": (io.BytesIO(handle.read()), name)},
            content_type="multipart/form-data",
        )


def _token(response) -> str:
    location = response.headers["Location"]
    return location.rstrip("/").split("/")[-2]


def _map_all(client, token):
    data = {
        f"col_{t}": str(i)
        for t, i in {
            "name": 0,
            "mobile": 1,
            "grade": 2,
            "source": 3,
            "first_visit_on": 4,
            "notes": 5,
        }.items()
    }
    response = client.post(f"/admin/import/{token}/map", data=data)
    wait_for_jobs(client.application)  # the check runs in the background
    return response


def _run(client, token, data, follow_redirects=False):
    """Start the import, wait for its job, and open where the progress page would lead."""
    response = client.post(f"/admin/import/{token}/run", data=data)
    if response.status_code != 302:
        return response
    wait_for_jobs(client.application)
    return client.get(response.headers["Location"], follow_redirects=follow_redirects)


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Prospect.id)))


def test_clerk_fixes_rejected_rows_and_imports_the_file(app, client, login_as, tmp_path):
    with app.app_context():
        ref_item(db.session, "source_channel", "walk_in")
        db.session.commit()
    user_id = login_as("clerk")
    rows = [good_row(n) for n in range(1, 31)]
    rows[14][1] = "1234"  # a bad mobile in the middle
    response = _upload(client, write_xlsx(tmp_path / "cards.xlsx", rows))
    assert response.status_code == 302
    token = _token(response)
    mapping_page = client.get(f"/admin/import/{token}/map").get_data(as_text=True)
    assert "客户姓名" in mapping_page
    assert _map_all(client, token).status_code == 302
    preview = client.get(f"/admin/import/{token}/preview").get_data(as_text=True)
    assert 'id="rejected-rows"' in preview and "1234" in preview
    # without "skip", the bad row stops everything
    page = _run(client, token, {"consent_given": "y"}, follow_redirects=True)
    assert _count(app) == 0
    assert "Row 16" in page.get_data(as_text=True) or "第 16 行" in page.get_data(as_text=True)
    # the rejected rows come back as a file to fix
    with client.get(f"/admin/import/{token}/rejected.xlsx") as download:
        assert download.status_code == 200
        content = download.data
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    back = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert len(back) == 2 and back[1][1] == "1234" and back[1][-1]
    # fixed and uploaded again: the mapping is remembered, everything goes in
    rows[14][1] = "13911112222"
    token2 = _token(_upload(client, write_xlsx(tmp_path / "fixed.xlsx", rows)))
    mapping_page = client.get(f"/admin/import/{token2}/map").get_data(as_text=True)
    assert 'value="5" selected' in mapping_page  # notes column remembered
    _map_all(client, token2)
    preview = client.get(f"/admin/import/{token2}/preview").get_data(as_text=True)
    assert "共 30 行：30 行可导入，0 行被拒。" in preview
    result = _run(client, token2, {"consent_given": "y"})
    result = result.get_data(as_text=True)
    assert 'id="import-result"' in result and "已导入 30 张温馨卡。" in result
    assert _count(app) == 30
    with app.app_context():
        assert db.session.scalar(select(ImportMapping.columns)) is not None
        events = db.session.scalars(select(AccessEvent).where(AccessEvent.action == "import")).all()
        assert events and all(e.user_id == user_id for e in events)
        assert sum(len(e.record_ids.split(",")) for e in events) == 30


def test_skip_rejected_imports_the_rest(app, client, login_as, tmp_path):
    with app.app_context():
        ref_item(db.session, "source_channel", "walk_in")
        db.session.commit()
    login_as("supervisor")
    rows = [good_row(n) for n in range(1, 6)]
    rows[2][2] = "Z"
    token = _token(_upload(client, write_xlsx(tmp_path / "c.xlsx", rows)))
    _map_all(client, token)
    client.get(f"/admin/import/{token}/preview")
    result = _run(client, token, {"skip_rejected": "y", "consent_given": "y"})
    assert result.status_code == 200 and _count(app) == 4


def test_broken_uploads_get_a_message_not_a_500(app, client, login_as):
    login_as("clerk")
    for content in (b"", b"junk" * 1000, b"\xd0\xcf\x11\xe0 an old xls"):
        response = client.post(
            "/admin/import/",
            data={"file": (io.BytesIO(content), "x.xlsx")},
            content_type="multipart/form-data",
            follow_redirects=True,
        )
        assert response.status_code == 200
        assert "alert-danger" in response.get_data(
            as_text=True
        ) or "alert-error" in response.get_data(as_text=True)


def test_another_users_upload_is_not_found(app, client, login_as, tmp_path):
    login_as("clerk", username="first_clerk")
    token = _token(_upload(client, write_xlsx(tmp_path / "d.xlsx", [good_row(1)])))
    client.post("/logout")
    login_as("clerk", username="second_clerk")
    assert client.get(f"/admin/import/{token}/map").status_code == 404
    assert client.get("/admin/import/not-a-token/map").status_code == 404


def test_custodians_import_paper_files_only(client, login_as, tmp_path):
    login_as("custodian")
    page = client.get("/admin/import/")
    assert page.status_code == 200 and 'value="prospect"' not in page.get_data(as_text=True)
    # welcome cards (the form's default kind) are refused: nothing is kept
    assert _upload(client, write_xlsx(tmp_path / "d.xlsx", [good_row(1)])).status_code == 200


def test_an_owner_list_goes_to_the_owners(app, client, login_as, tmp_path):
    from models.property.property import Owner

    login_as("clerk")
    path = write_xlsx(
        tmp_path / "owners.xlsx",
        [["甲业主", "13900000001", "一区1栋"], ["乙业主", "13900000002", "一区2栋"]],
        headers=["业主姓名", "手机", "联系地址"],
    )
    with open(path, "rb") as handle:
        response = client.post(
            "/admin/import/",
            data={"kind": "owner", "file": (io.BytesIO(handle.read()), "owners.xlsx")},
            content_type="multipart/form-data",
        )
    token = _token(response)
    page = client.get(f"/admin/import/{token}/map").get_data(as_text=True)
    assert 'name="col_id_number"' in page and 'name="col_grade"' not in page
    client.post(
        f"/admin/import/{token}/map", data={"col_name": "0", "col_mobile": "1", "col_address": "2"}
    )
    wait_for_jobs(app)
    client.get(f"/admin/import/{token}/preview")
    result = _run(client, token, {"consent_given": "y"})
    result = result.get_data(as_text=True)
    assert "已导入 2 位业主。" in result
    with app.app_context():
        assert sorted(db.session.scalars(select(Owner.name))) == ["乙业主", "甲业主"]
