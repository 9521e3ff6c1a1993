"""The custodian imports a register naming dealers' files and units with their owners'
numbers through the import page: a dealer's file is linked to its dealer; an owner's number
that never owned the named unit is refused, masked."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from extensions import db
from models.archive.archives import ArchiveFile
from models.dealers.dealers import Dealer, DealerDataCard
from models.property.property import Owner, Ownership
from tests.factories import ref_item
from tests.importing import write_xlsx
from tests.unit.archive import test_import_file_links as sheets
from tests.web.archive.test_file_import import _owner_and_unit
from tests.web.sales.test_import_kinds import _import

pytestmark = pytest.mark.instant()


def test_a_custodian_imports_dealers_files_and_owners_of_units(app, client, login_as, tmp_path):
    owner_id, unit_id = _owner_and_unit(app)
    with app.app_context():
        region = ref_item(db.session, "region", "south")
        db.session.flush()
        dealer = Dealer(name="华南五金（广州）有限公司", region_id=region.id)
        dealer.data_card = DealerDataCard(filled_on=date(2026, 3, 4), licence_no="91440101MA01")
        stranger = Owner(name="孙某", mobile="13900000006")
        db.session.add_all([dealer, stranger])
        db.session.commit()
        dealer_id = dealer.id
        assert db.session.scalar(select(Ownership.owner_id)) == owner_id
    login_as("custodian", full_name="李保管")
    unit = {"项目": "lakeside", "楼栋": "3栋", "房号": "1502"}
    rows = [
        sheets.row("D-1", 经销商名称="华南五金(广州)有限责任公司"),
        sheets.row("D-2", 营业执照号="91440101MA01"),
        sheets.row("U-1", 客户姓名="王业主", 手机="13900000001", **unit),
        sheets.row("U-2", 客户姓名="孙某", 手机="13900000006", **unit),  # never owned it
        sheets.row("D-3", 经销商名称="无此经销商"),
    ]
    path = write_xlsx(tmp_path / "register.xlsx", rows, sheets.HEADERS)
    preview, result = _import(client, path, "archive_file", sheets.HEADERS, "contract", skip=True)
    assert "共 5 行：3 行可导入，2 行被拒。" in preview
    assert "孙某 139****0006 既不是房屋 3栋 1502 的现任业主，也不是其原业主" in preview
    assert "13900000006" not in preview
    assert "系统中没有此名称的经销商" in preview
    assert "已导入 3 份纸质档案，均为在库。" in result
    with app.app_context():
        stored = {f.code: f for f in db.session.scalars(select(ArchiveFile))}
        assert {c: (f.dealer_id, f.unit_id, f.owner_id) for c, f in stored.items()} == {
            "D-1": (dealer_id, None, None),
            "D-2": (dealer_id, None, None),
            "U-1": (None, unit_id, owner_id),
        }
    # the dealer shows on the file's page
    page = client.get(f"/admin/archive_file/details/?id={stored['D-1'].id}")
    assert "华南五金（广州）有限公司" in page.get_data(as_text=True)
