"""The import page for every kind: a full welcome card with its later visits, and a unit
list with owners and household members, through upload, mapping, check and import."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from extensions import db
from models.property.property import HouseholdMember, Owner, Unit
from models.sales.prospects import Prospect, Visit
from services.shared import importer
from tests.factories import make_user, ref_item
from tests.importing import wait_for_jobs, write_xlsx
from tests.unit.sales import test_import_card_fields as cards
from tests.unit.sales import test_import_units as units

pytestmark = pytest.mark.instant()


def _upload(client, path, kind):
    with open(path, "rb") as handle:
        return client.post(
            "/admin/import/",
            data={"file": (io.BytesIO(handle.read()), path.name), "kind": kind},
            content_type="multipart/form-data",
        )


def _import(client, path, kind, headers, basis="consent", skip=False):
    response = _upload(client, path, kind)
    assert response.status_code == 302, response.get_data(as_text=True)
    token = response.headers["Location"].rstrip("/").split("/")[-2]
    page = client.get(f"/admin/import/{token}/map").get_data(as_text=True)
    mapping = importer.guess_mapping(headers, kind)
    for target in mapping:
        # the mapping page proposes the guessed column of every field
        assert f'id="col_{target}"' in page
    data = {f"col_{t}": str(i) for t, i in mapping.items()}
    assert client.post(f"/admin/import/{token}/map", data=data).status_code == 302
    wait_for_jobs(client.application)
    preview = client.get(f"/admin/import/{token}/preview").get_data(as_text=True)
    run = {"consent_given": "y", "consent_basis": basis}
    if skip:
        run["skip_rejected"] = "y"
    response = client.post(f"/admin/import/{token}/run", data=run)
    assert response.status_code == 302
    wait_for_jobs(client.application)
    return preview, client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_clerk_imports_full_welcome_cards_with_their_visits(app, client, login_as, tmp_path):
    with app.app_context():
        ref_item(db.session, "source_channel", "walk_in")
        ref_item(db.session, "project", "lakeside")
        consultant = make_user(db.session, "clerk", full_name="张顾问")
        db.session.commit()
        consultant_id = consultant.id
    login_as("clerk")
    rows = [
        cards._row(1),
        cards._row(2, 第三次来访="2026-03-20"),
        cards._row(1, 来访日期="2026-03-15", 第二次来访=None, 备注="复访"),  # a later row
        cards._row(3, 意向区域="火星"),
    ]
    path = write_xlsx(tmp_path / "cards.xlsx", rows, cards.HEADERS)
    preview, result = _import(client, path, "prospect", cards.HEADERS, skip=True)
    assert "火星" in preview and "意向区域" in preview
    assert "已导入 2 张温馨卡。" in result and "跳过" in result
    with app.app_context():
        card = db.session.scalar(select(Prospect).where(Prospect.name == "客户1"))
        assert card.consultant_id == consultant_id and card.budget_wan == 150
        assert card.progress == "viewed" and card.district.code == "new_district"
        assert [v.visited_on.isoformat() for v in card.visits] == [
            "2026-03-01",
            "2026-03-08",
            "2026-03-15",
        ]
        assert card.visits[2].summary == "复访"
        assert db.session.scalar(select(func.count(Visit.id))) == 6


def test_a_supervisor_imports_a_unit_list_in_one_sheet(app, client, login_as, tmp_path):
    with app.app_context():
        ref_item(db.session, "project", "lakeside")
        db.session.commit()
    login_as("supervisor")
    upload_page = client.get("/admin/import/").get_data(as_text=True)
    assert 'value="unit"' in upload_page
    path = write_xlsx(tmp_path / "units.xlsx", units._unit_sheet(), units.HEADERS)
    preview, result = _import(client, path, "unit", units.HEADERS, basis="contract")
    assert "共 5 行：5 行可导入，0 行被拒。" in preview
    assert 'id="import-result"' in result and "/admin/unit/" in result
    with app.app_context():
        assert db.session.scalar(select(func.count(Unit.id))) == 2
        assert db.session.scalar(select(func.count(Owner.id))) == 2
        assert db.session.scalar(select(func.count(HouseholdMember.id))) == 3


def test_the_unit_list_asks_for_its_unit_columns(app, client, login_as, tmp_path):
    with app.app_context():
        ref_item(db.session, "project", "lakeside")
        db.session.commit()
    login_as("clerk")
    path = write_xlsx(tmp_path / "units.xlsx", units._unit_sheet(), units.HEADERS)
    response = _upload(client, path, "unit")
    token = response.headers["Location"].rstrip("/").split("/")[-2]
    page = client.post(
        f"/admin/import/{token}/map", data={"col_name": "5"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "楼栋" in page and "房号" in page and 'id="check"' in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Unit.id))) == 0


def test_a_kind_the_role_may_not_create_is_refused(app, client, login_as, tmp_path, monkeypatch):
    from core import access

    login_as("clerk")
    real = access.can
    monkeypatch.setattr(
        access, "can", lambda role, view, right: view != "unit" and real(role, view, right)
    )
    assert 'value="unit"' not in client.get("/admin/import/").get_data(as_text=True)
    path = write_xlsx(tmp_path / "units.xlsx", units._unit_sheet(), units.HEADERS)
    response = _upload(client, path, "unit")
    assert response.status_code == 200  # the form refuses the choice: no upload kept


def test_a_clerk_imports_a_lease_list_with_its_tenants(app, client, login_as, tmp_path):
    from models.property.property import Lease, Tenant
    from tests.unit.sales import test_import_leases as leases

    with app.app_context():
        project = ref_item(db.session, "project", "lakeside")
        db.session.add(Unit(project_id=project.id, building="1栋", room="101"))
        db.session.commit()
    login_as("clerk")
    rows = [
        leases._row("101", "周租", "13900000101", "2026-01-01", **leases.INTAKE),
        leases._row("109", "钱租", "13900000103", "2026-01-01"),  # no such unit
    ]
    path = write_xlsx(tmp_path / "leases.xlsx", rows, leases.HEADERS)
    preview, result = _import(client, path, "lease", leases.HEADERS, "contract", skip=True)
    assert "109" in preview
    assert "已导入 1 份租赁及其租户。" in result and "/admin/lease/" in result
    with app.app_context():
        lease = db.session.scalar(select(Lease))
        assert lease.status == "active" and lease.tenant.name == "周租"
        assert db.session.scalar(select(func.count(Tenant.id))) == 1


@pytest.mark.parametrize(
    "kind", ["prospect", "owner", "unit", "lease", "parking_space", "resident_card", "vehicle_card"]
)
def test_the_mapping_page_of_every_kind_is_chinese(app, client, login_as, tmp_path, kind):
    """Every field of every kind is named in Chinese (the crawler cannot reach a mapping page:
    it needs an upload)."""
    from tests.web.shared.test_every_page_language import _enum_codes, chinese_page_findings

    login_as("supervisor")
    headers = list(importer.KINDS[kind].fields)  # English field codes as titles: all mapped
    path = write_xlsx(tmp_path / "any.xlsx", [["x"] * len(headers)], headers)
    token = _upload(client, path, kind).headers["Location"].rstrip("/").split("/")[-2]
    html = client.get(f"/admin/import/{token}/map").get_data(as_text=True)
    with app.app_context():
        codes = _enum_codes()
    labels = html.split('id="mapping-form"')[1].split(">", 1)[1].split("</table>")[0]
    # the file's own titles (the options) are data: only the field names are read
    labels = re.sub(r"<select.*?</select>", "", labels, flags=re.S)
    assert chinese_page_findings(labels, codes) == []
    assert labels.count("<label") == len(importer.KINDS[kind].fields)


@pytest.mark.parametrize("kind", ["prospect", "unit", "lease", "vehicle_card"])
def test_the_mapping_page_is_english_on_request(app, client, login_as, tmp_path, kind):
    from tests.web.shared.test_english_interface import chinese_in_chrome

    login_as("clerk")
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    headers = list(importer.KINDS[kind].fields)
    path = write_xlsx(tmp_path / "any.xlsx", [["x"] * len(headers)], headers)
    token = _upload(client, path, kind).headers["Location"].rstrip("/").split("/")[-2]
    html = client.get(f"/admin/import/{token}/map").get_data(as_text=True)
    assert chinese_in_chrome(html) == []
    assert "Relation to owner" in html or kind != "unit"


def test_english_titles_are_guessed_for_the_card():
    titles = ["Name", "Mobile", "Budget", "Age band", "Intended district", "Consultant",
              "Progress", "Scout", "First visit", "Second visit", "Third visit"]  # fmt: skip
    assert importer.guess_mapping(titles) == {
        "name": 0, "mobile": 1, "budget_wan": 2, "age_band": 3, "district": 4, "consultant": 5,
        "progress": 6, "is_scout": 7, "first_visit_on": 8, "visit_2": 9, "visit_3": 10,
    }  # fmt: skip
