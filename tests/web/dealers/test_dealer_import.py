"""A region manager imports a dealer list and potential-dealer files through the import page:
upload, mapping, check, import; other roles are not offered the dealer kinds."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from extensions import db
from models.dealers.dealers import Dealer, DealerDataCard, PotentialDealerFile
from models.privacy.audit import AccessEvent
from services.shared import importer
from tests.factories import ref_item
from tests.importing import write_xlsx
from tests.unit.dealers import test_import_dealers as sheets
from tests.web.sales.test_import_kinds import _import, _upload

pytestmark = pytest.mark.instant()


def _regions(app) -> tuple[int, int]:
    with app.app_context():
        south = ref_item(db.session, "region", "south")
        south.label = "南区"
        north = ref_item(db.session, "region", "north")
        north.label = "北区"
        db.session.commit()
        return south.id, north.id


def test_a_region_manager_is_offered_the_dealer_kinds_only(app, client, login_as):
    south, _north = _regions(app)
    login_as("region_manager", region_id=south)
    page = client.get("/admin/import/").get_data(as_text=True)
    assert 'value="dealer"' in page and 'value="potential_dealer"' in page
    assert 'value="prospect"' not in page and 'value="unit"' not in page


def test_a_supervisor_cannot_import_dealers(app, client, login_as, tmp_path):
    _regions(app)
    login_as("supervisor")
    assert 'value="dealer"' not in client.get("/admin/import/").get_data(as_text=True)
    path = write_xlsx(tmp_path / "dealers.xlsx", [sheets._row(1)], sheets.HEADERS)
    assert _upload(client, path, "dealer").status_code == 200  # the choice is refused


def test_a_region_manager_imports_a_dealer_list(app, client, login_as, tmp_path):
    south, north = _regions(app)
    manager_id = login_as("region_manager", region_id=south)
    rows = [
        sheets._row(1),
        sheets._potential(2, 区域=None),
        sheets._row(3, 区域="北区"),  # another region
        sheets._row(4, 手机="13900000001"),  # row 2's mobile
    ]
    path = write_xlsx(tmp_path / "dealers.xlsx", rows, sheets.HEADERS)
    preview, result = _import(client, path, "dealer", sheets.HEADERS, "contract", skip=True)
    assert "共 4 行：2 行可导入，2 行被拒。" in preview
    assert "本区域" in preview and "13900000001" not in preview
    assert "已导入 2 家经销商及其资料卡和档案。" in result and "/admin/dealer/" in result
    with app.app_context():
        dealers = db.session.scalars(select(Dealer).order_by(Dealer.name)).all()
        assert [(d.name, d.region_id, d.manager_id) for d in dealers] == [
            ("华南五金1号", south, manager_id),
            ("华南五金2号", south, manager_id),
        ]
        assert db.session.scalar(select(func.count(DealerDataCard.id))) == 1
        assert db.session.scalar(select(func.count(PotentialDealerFile.id))) == 1
        events = db.session.scalars(
            select(AccessEvent.record_type).where(AccessEvent.action == "import")
        ).all()
        assert set(events) == {"dealer", "dealer_data_card", "potential_dealer_file"}
    # the new dealers are the manager's to see
    listing = client.get("/admin/dealer/").get_data(as_text=True)
    assert "华南五金1号" in listing and "华南五金2号" in listing


def test_a_region_manager_imports_potential_dealer_files(app, client, login_as, tmp_path):
    south, _north = _regions(app)
    with app.app_context():
        db.session.add(Dealer(name="潜在一号", region_id=south, status="potential"))
        db.session.commit()
    login_as("region_manager", region_id=south)
    rows = [
        ["潜在一号", None, "2026-10-08", "三家门店", "某品牌", "愿意试销", "再访"],
        ["无此客户", None, "2026-10-08", None, None, "无", None],
    ]
    path = write_xlsx(tmp_path / "files.xlsx", rows, sheets.FILE_HEADERS)
    preview, result = _import(
        client, path, "potential_dealer", sheets.FILE_HEADERS, "consent", skip=True
    )
    assert "请先导入" in preview
    assert "已导入 1 份潜在经销商档案。" in result and "/admin/potential_dealer_file/" in result
    with app.app_context():
        kept = db.session.scalars(select(PotentialDealerFile)).one()
        assert (kept.interest, kept.next_step) == ("愿意试销", "再访")


def test_a_wrong_dealer_list_imports_nothing(app, client, login_as, tmp_path):
    south, _north = _regions(app)
    login_as("region_manager", region_id=south)
    rows = [sheets._row(1), sheets._row(2, 区域="火星")]
    path = write_xlsx(tmp_path / "dealers.xlsx", rows, sheets.HEADERS)
    preview, result = _import(client, path, "dealer", sheets.HEADERS, "contract")
    assert "火星" in preview and "南区" in preview  # the list's labels are named
    assert 'id="import-failed"' in result
    with app.app_context():
        assert db.session.scalar(select(func.count(Dealer.id))) == 0


@pytest.mark.parametrize("kind", ["dealer", "potential_dealer"])
def test_the_mapping_page_of_the_dealer_kinds_is_chinese(app, client, login_as, tmp_path, kind):
    from tests.web.shared.test_every_page_language import _enum_codes, chinese_page_findings

    south, _north = _regions(app)
    login_as("region_manager", region_id=south)
    headers = list(importer.KINDS[kind].fields)
    path = write_xlsx(tmp_path / "any.xlsx", [["x"] * len(headers)], headers)
    token = _upload(client, path, kind).headers["Location"].rstrip("/").split("/")[-2]
    html = client.get(f"/admin/import/{token}/map").get_data(as_text=True)
    with app.app_context():
        codes = _enum_codes()
    labels = html.split('id="mapping-form"')[1].split(">", 1)[1].split("</table>")[0]
    labels = re.sub(r"<select.*?</select>", "", labels, flags=re.S)
    assert chinese_page_findings(labels, codes) == []
    assert labels.count("<label") == len(importer.KINDS[kind].fields)
