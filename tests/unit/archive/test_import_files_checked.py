"""The paper files' register import takes the rows its check found good (sealed,
services/shared/checked_rows.py) instead of reading and checking the file again; the links
(codes, units, customers, dealers) are found again in the import's transaction, and a
change to what the row checks read (custodians, the role's rights) makes it check again."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import select

from core import access
from extensions import db
from models.archive.archives import ArchiveFile
from models.property.property import Owner, Ownership
from services.shared import import_kinds, importer  # noqa: F401 (every kind registered)
from tests.importing import write_xlsx
from tests.unit.archive.test_import_files import CONSENT, HEADERS, KIND, make_world, row

pytestmark = pytest.mark.instant()
TOKEN = "cd" * 16


@pytest.fixture
def s(app):
    with app.app_context():
        yield db.session
        db.session.rollback()


@pytest.fixture
def world(s):
    return make_world(s)


@pytest.fixture
def kept(tmp_path):
    return importer.CheckedRows(tmp_path / f"{TOKEN}-checked.sealed", TOKEN)


MAPPING = importer.guess_mapping(HEADERS, KIND)


def _check(s, user, path, kept):
    return importer.check_file(s, path, MAPPING, kind=KIND, user=user, checked=kept)


def _import(s, user, path, kept, skip_rejected=False):
    return importer.import_file(
        s, user, path, MAPPING, skip_rejected=skip_rejected, kind=KIND, consent=CONSENT,
        checked=kept,
    )  # fmt: skip


def test_the_kind_takes_the_checked_rows():
    assert importer._reuses_check(KIND)
    # kinds whose row checks read what earlier rows or the database hold still check again
    assert not importer._reuses_check("unit")


def test_the_import_takes_the_checked_rows_without_reading_the_file(s, world, tmp_path, kept):
    custodian, owner, unit, card = (world[k] for k in ("custodian", "owner", "unit", "card"))
    rows = [
        row("DA-001", 客户姓名="王业主", 手机="13900000001", 保管人="周保管", 核查日期="2026/3/1"),
        row("DA-002", 项目="lakeside", 楼栋="3栋", 房号=1502),
        row("DA-003", 客户类别="意向客户", 客户姓名="赵来访", 手机=13900000009),
        row("DA-004", 存放位置="二号档案室 A柜"),
    ]  # fmt: skip
    path = write_xlsx(tmp_path / "files.xlsx", rows, HEADERS)
    assert _check(s, custodian, path, kept).valid == 4
    assert kept.path.exists()
    # the upload is not read again: an empty stream in its place imports the same rows
    outcome = _import(s, custodian, io.BytesIO(b""), kept)
    s.commit()
    assert outcome.inserted == 4
    files = {f.code: f for f in s.scalars(select(ArchiveFile))}
    first = files["DA-001"]
    assert (first.owner_id, first.unit_id, first.prospect_id) == (owner.id, None, None)
    assert first.custodian_id == world["keeper"].id
    assert first.last_checked_on == date(2026, 3, 1)
    assert (first.room, first.cabinet, first.shelf, first.box) == (
        "一号档案室",
        "3柜",
        "2层",
        "15盒",
    )
    assert (files["DA-002"].unit_id, files["DA-002"].owner_id) == (unit.id, owner.id)
    assert (files["DA-003"].prospect_id, files["DA-003"].owner_id) == (card.id, None)
    assert files["DA-003"].office_id == card.office_id
    assert files["DA-004"].custodian_id == custodian.id  # blank: the importing custodian


def test_a_unit_sold_since_the_check_is_linked_to_its_new_owner(s, world, tmp_path, kept):
    custodian, owner, unit = (world[k] for k in ("custodian", "owner", "unit"))
    rows = [
        row("DA-010", 项目="lakeside", 楼栋="3栋", 房号=1502),  # its current owner
        row("DA-011", 客户姓名="王业主", 项目="lakeside", 楼栋="3栋", 房号=1502),
    ]  # fmt: skip
    path = write_xlsx(tmp_path / "files.xlsx", rows, HEADERS)
    assert _check(s, custodian, path, kept).valid == 2
    # a transfer between the check and the import: the seller's ownership ends
    buyer = Owner(name="钱买家", mobile="13900000077")
    s.add(buyer)
    s.flush()
    s.scalar(select(Ownership).where(Ownership.unit_id == unit.id)).ended_on = date(2026, 4, 1)
    s.add(Ownership(unit=unit, owner=buyer, started_on=date(2026, 4, 1)))
    s.commit()
    # the row naming the seller is now wrong; the other follows the unit to its buyer
    with pytest.raises(importer.RowsRejected):
        _import(s, custodian, io.BytesIO(b""), kept)
    s.rollback()
    outcome = _import(s, custodian, io.BytesIO(b""), kept, skip_rejected=True)
    s.commit()
    assert (outcome.inserted, outcome.skipped) == (1, 1)
    (only,) = s.scalars(select(ArchiveFile))
    assert (only.code, only.unit_id, only.owner_id) == ("DA-010", unit.id, buyer.id)
    assert owner.id != buyer.id


def test_a_code_taken_since_the_check_is_refused_at_the_import(s, world, tmp_path, kept):
    custodian = world["custodian"]
    path = write_xlsx(tmp_path / "files.xlsx", [row("DA-020"), row("DA-021")], HEADERS)
    assert _check(s, custodian, path, kept).valid == 2
    s.add(ArchiveFile(code="DA-021", title="另一份", room="一号档案室", state="in_room"))
    s.commit()
    with pytest.raises(importer.RowsRejected, match="3"):
        _import(s, custodian, io.BytesIO(b""), kept)


def test_a_custodian_gone_since_the_check_makes_the_import_check_again(s, world, tmp_path, kept):
    custodian = world["custodian"]
    path = write_xlsx(tmp_path / "files.xlsx", [row("DA-030", 保管人="周保管")], HEADERS)
    assert _check(s, custodian, path, kept).valid == 1
    world["keeper"].active = False
    s.commit()
    # the kept rows are not taken: the file is read again (an empty stream would not open)
    with pytest.raises(importer.RowsRejected):
        _import(s, custodian, path, kept)
    s.rollback()
    with pytest.raises(importer.ImportFileError):
        _import(s, custodian, io.BytesIO(b""), kept)


def test_rights_changed_since_the_check_make_the_import_check_again(
    s, world, tmp_path, kept, monkeypatch
):
    custodian = world["custodian"]
    path = write_xlsx(tmp_path / "files.xlsx", [row("DA-040", 客户姓名="王业主",
                                                    手机="13900000001")], HEADERS)  # fmt: skip
    assert _check(s, custodian, path, kept).valid == 1
    real = access.can
    monkeypatch.setattr(
        access,
        "can",
        lambda role, record_type, right: record_type != "owner" and real(role, record_type, right),
    )
    with pytest.raises(importer.RowsRejected):
        _import(s, custodian, path, kept)


def test_a_row_refused_for_a_customer_not_yet_in_the_panel_is_taken_once_there(
    s, world, tmp_path, kept
):
    custodian = world["custodian"]
    rows = [row("DA-050", 客户姓名="王业主", 手机="13900000001"),
            row("DA-051", 客户姓名="孙新主", 手机="13900000055")]  # fmt: skip
    path = write_xlsx(tmp_path / "files.xlsx", rows, HEADERS)
    report = _check(s, custodian, path, kept)
    assert (report.valid, report.rejected[0].row_number) == (1, 3)
    # the owner is put in the panel after the check: the import finds them, as a new check
    newcomer = Owner(name="孙新主", mobile="13900000055", office_id=world["owner"].office_id)
    s.add(newcomer)
    s.commit()
    outcome = _import(s, custodian, io.BytesIO(b""), kept)
    s.commit()
    assert (outcome.inserted, outcome.skipped) == (2, 0)
    linked = s.scalar(select(ArchiveFile).where(ArchiveFile.code == "DA-051"))
    assert linked.owner_id == newcomer.id
