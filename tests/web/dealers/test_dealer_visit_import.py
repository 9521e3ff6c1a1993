"""A region manager imports dealer visits through the import page: upload, mapping, check,
import; the rejected rows are shown masked, the visits land on the region's dealers."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from extensions import db
from models.dealers.dealers import Dealer, DealerVisit
from models.privacy.audit import AccessEvent
from services.shared import importer
from tests.importing import write_xlsx
from tests.unit.dealers import test_import_dealer_visits as sheets
from tests.web.dealers.test_dealer_import import _regions
from tests.web.sales.test_import_kinds import _import, _upload

pytestmark = pytest.mark.instant()


def _dealers(app, south: int, north: int) -> tuple[int, int]:
    with app.app_context():
        mine = Dealer(name="华南五金有限公司", region_id=south, mobile="13900000001")
        theirs = Dealer(name="北区商行", region_id=north, mobile="13900000003")
        db.session.add_all([mine, theirs])
        db.session.commit()
        return mine.id, theirs.id


def test_a_region_manager_is_offered_the_visits(app, client, login_as):
    south, _north = _regions(app)
    login_as("region_manager", region_id=south)
    page = client.get("/admin/import/").get_data(as_text=True)
    assert 'value="dealer_visit"' in page and "经销商拜访记录" in page


@pytest.mark.parametrize("role", ["clerk", "supervisor", "custodian"])
def test_other_roles_are_not_offered_the_visits(app, client, login_as, role):
    _regions(app)
    login_as(role)
    assert 'value="dealer_visit"' not in client.get("/admin/import/").get_data(as_text=True)


def test_a_region_manager_imports_visits(app, client, login_as, tmp_path):
    south, north = _regions(app)
    mine, _theirs = _dealers(app, south, north)
    manager_id = login_as("region_manager", region_id=south)
    rows = [
        sheets.row("华南五金(有限公司)"),  # loosely
        sheets.row(None, 手机="13900000001", 拜访日期="2026/10/9"),
        sheets.row(None, 手机="13900000003"),  # the north's dealer: not found, masked
        sheets.row("华南五金有限公司", 拜访日期="2026.10.8"),  # row 2 again
    ]
    path = write_xlsx(tmp_path / "visits.xlsx", rows, sheets.HEADERS)
    preview, result = _import(client, path, "dealer_visit", sheets.HEADERS, "contract", skip=True)
    assert "共 4 行：2 行可导入，2 行被拒。" in preview
    assert "139****0003" in preview and "13900000003" not in preview
    assert "与本文件第 2 行的经销商、日期和拜访人相同" in preview
    assert "已导入 2 条经销商拜访记录。" in result and "/admin/dealer_visit/" in result
    with app.app_context():
        visits = db.session.scalars(select(DealerVisit).order_by(DealerVisit.visited_on)).all()
        assert [(v.dealer_id, v.visited_on, v.visitor_id) for v in visits] == [
            (mine, date(2026, 10, 8), manager_id),
            (mine, date(2026, 10, 9), manager_id),
        ]
        events = db.session.scalars(
            select(AccessEvent.record_type).where(AccessEvent.action == "import")
        ).all()
        assert events == ["dealer_visit"]
    listing = client.get("/admin/dealer_visit/").get_data(as_text=True)
    assert "华南五金有限公司" in listing


def test_a_wrong_visit_file_imports_nothing(app, client, login_as, tmp_path):
    south, north = _regions(app)
    _dealers(app, south, north)
    login_as("region_manager", region_id=south)
    rows = [sheets.row(), sheets.row("无此经销商")]
    path = write_xlsx(tmp_path / "visits.xlsx", rows, sheets.HEADERS)
    preview, result = _import(client, path, "dealer_visit", sheets.HEADERS, "contract")
    assert "请先导入" in preview
    assert 'id="import-failed"' in result
    with app.app_context():
        assert db.session.scalar(select(func.count(DealerVisit.id))) == 0


def test_the_mapping_page_of_the_visits_is_chinese(app, client, login_as, tmp_path):
    from tests.web.shared.test_every_page_language import _enum_codes, chinese_page_findings

    south, _north = _regions(app)
    login_as("region_manager", region_id=south)
    headers = list(importer.KINDS["dealer_visit"].fields)
    path = write_xlsx(tmp_path / "any.xlsx", [["x"] * len(headers)], headers)
    token = _upload(client, path, "dealer_visit").headers["Location"].rstrip("/").split("/")[-2]
    html = client.get(f"/admin/import/{token}/map").get_data(as_text=True)
    with app.app_context():
        codes = _enum_codes()
    labels = html.split('id="mapping-form"')[1].split(">", 1)[1].split("</table>")[0]
    labels = re.sub(r"<select.*?</select>", "", labels, flags=re.S)
    assert chinese_page_findings(labels, codes) == []
    assert labels.count("<label") == len(headers)
