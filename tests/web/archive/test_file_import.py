"""The archive custodian imports the paper files' register through the import page: upload,
mapping, check, import; the page offers the custodian only the kinds they may create."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from extensions import db
from models.archive.archives import ArchiveFile
from models.privacy.audit import AccessEvent
from models.property.property import Owner, Ownership, Unit
from services.shared import importer
from tests.factories import ref_item
from tests.importing import wait_for_jobs, write_xlsx
from tests.unit.archive import test_import_files as files

pytestmark = pytest.mark.instant()


def _upload(client, path, kind="archive_file"):
    with open(path, "rb") as handle:
        return client.post(
            "/admin/import/",
            data={"file": (io.BytesIO(handle.read()), path.name), "kind": kind},
            content_type="multipart/form-data",
        )


def _token(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"].rstrip("/").split("/")[-2]


def _owner_and_unit(app):
    with app.app_context():
        project = ref_item(db.session, "project", "lakeside")
        owner = Owner(name="王业主", mobile="13900000001")
        unit = Unit(project_id=project.id, building="3栋", room="1502")
        db.session.add_all([owner, unit])
        db.session.flush()
        db.session.add(Ownership(unit=unit, owner=owner, started_on=date(2025, 5, 1)))
        db.session.commit()
        return owner.id, unit.id


def test_a_custodian_sees_only_the_paper_files(client, login_as):
    login_as("custodian")
    page = client.get("/admin/import/")
    assert page.status_code == 200
    options = re.findall(r'<option[^>]*value="([a-z_]+)"', page.get_data(as_text=True))
    assert options == ["archive_file"]
    assert "纸质档案登记表" in page.get_data(as_text=True)


@pytest.mark.parametrize("role", ["clerk", "supervisor"])
def test_desk_roles_are_not_offered_the_paper_files(client, login_as, role):
    login_as(role)
    assert 'value="archive_file"' not in client.get("/admin/import/").get_data(as_text=True)


def test_a_custodian_imports_the_register(app, client, login_as, tmp_path):
    owner_id, unit_id = _owner_and_unit(app)
    custodian_id = login_as("custodian", full_name="李保管")
    rows = [
        files.row("DA-001", 客户姓名="王业主", 手机="13900000001"),
        files.row("DA-002", 项目="lakeside", 楼栋="3栋", 房号="1502"),
        files.row("DA-003", 状态="借出"),  # out: the desk records it
        files.row("DA-004", 客户姓名="王业主", 手机="13900000077"),  # nobody
    ]
    path = write_xlsx(tmp_path / "register.xlsx", rows, files.HEADERS)
    token = _token(_upload(client, path))
    page = client.get(f"/admin/import/{token}/map").get_data(as_text=True)
    mapping = importer.guess_mapping(files.HEADERS, "archive_file")
    for target in mapping:
        assert f'id="col_{target}"' in page
    data = {f"col_{t}": str(i) for t, i in mapping.items()}
    assert client.post(f"/admin/import/{token}/map", data=data).status_code == 302
    wait_for_jobs(app)
    preview = client.get(f"/admin/import/{token}/preview").get_data(as_text=True)
    assert "共 4 行：2 行可导入，2 行被拒。" in preview
    assert "档案台登记借出" in preview and "139****0077" in preview
    assert "13900000077" not in preview
    # all or nothing: without skipping, nothing goes in
    run = {"consent_given": "y", "consent_basis": "contract"}
    response = client.post(f"/admin/import/{token}/run", data=run)
    wait_for_jobs(app)
    result = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="import-failed"' in result
    with app.app_context():
        assert db.session.scalar(select(func.count(ArchiveFile.id))) == 0
    # again, skipping the rejected rows
    token = _token(_upload(client, path))
    assert client.post(f"/admin/import/{token}/map", data=data).status_code == 302
    wait_for_jobs(app)
    client.get(f"/admin/import/{token}/preview")
    response = client.post(f"/admin/import/{token}/run", data={**run, "skip_rejected": "y"})
    wait_for_jobs(app)
    result = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已导入 2 份纸质档案，均为在库。" in result and "跳过" in result
    assert "/admin/archive_file/" in result
    with app.app_context():
        stored = {f.code: f for f in db.session.scalars(select(ArchiveFile))}
        assert set(stored) == {"DA-001", "DA-002"}
        assert stored["DA-001"].owner_id == owner_id
        assert (stored["DA-002"].unit_id, stored["DA-002"].owner_id) == (unit_id, owner_id)
        assert {f.custodian_id for f in stored.values()} == {custodian_id}
        assert {f.state for f in stored.values()} == {"in_room"}
        logged = db.session.scalars(
            select(AccessEvent).where(
                AccessEvent.action == "import", AccessEvent.record_type == "archive_file"
            )
        ).all()
        assert len(logged) == 1 and logged[0].user_id == custodian_id


def test_the_mapping_asks_for_the_code_and_title(app, client, login_as, tmp_path):
    login_as("custodian")
    path = write_xlsx(tmp_path / "register.xlsx", [files.row("DA-1")], files.HEADERS)
    token = _token(_upload(client, path))
    page = client.post(
        f"/admin/import/{token}/map", data={"col_file_code": "0"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "请选择以下各项所在的列：档案题名。" in page
    assert 'id="check"' in page  # still on the mapping page


def test_the_mapping_page_is_chinese(app, client, login_as, tmp_path):
    from tests.web.shared.test_every_page_language import _enum_codes, chinese_page_findings

    login_as("custodian")
    headers = list(importer.KINDS["archive_file"].fields)
    path = write_xlsx(tmp_path / "any.xlsx", [["x"] * len(headers)], headers)
    token = _token(_upload(client, path))
    html = client.get(f"/admin/import/{token}/map").get_data(as_text=True)
    with app.app_context():
        codes = _enum_codes()
    labels = html.split('id="mapping-form"')[1].split(">", 1)[1].split("</table>")[0]
    labels = re.sub(r"<select.*?</select>", "", labels, flags=re.S)
    assert chinese_page_findings(labels, codes) == []
    assert labels.count("<label") == len(headers)
