"""Whose paper file a register row says it is, beyond a customer by name and number: a
dealer's file (by the dealer's name, loosely when one only matches, or licence number), and
a unit named with an owner's number (the owner must have owned that unit, now or before)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from extensions import db
from models.archive.archives import ArchiveFile
from models.dealers.dealers import Dealer, DealerDataCard
from models.property.property import Owner, Ownership, Unit
from services.shared import importer
from tests.factories import make_user, ref_item
from tests.importing import write_xlsx
from tests.unit.archive.test_import_files import CONSENT, KIND, id_number, make_world

pytestmark = pytest.mark.instant()
HEADERS = ["档案编号", "档案名称", "客户类别", "客户姓名", "手机", "身份证号", "项目", "楼栋",
           "房号", "经销商名称", "营业执照号", "存放位置"]  # fmt: skip


def row(code="DA-001", **cells) -> list:
    values = dict.fromkeys(HEADERS)
    values.update({"档案编号": code, "档案名称": f"{code} 档案", "存放位置": "一号档案室/3柜"})
    values.update(cells)
    return [values[h] for h in HEADERS]


@pytest.fixture
def s(app):
    with app.app_context():
        yield db.session
        db.session.rollback()


@pytest.fixture
def world(s):
    return make_world(s)


@pytest.fixture
def dealers(s):
    south = ref_item(s, "region", "south")
    north = ref_item(s, "region", "north")
    s.flush()
    hardware = Dealer(name="华南五金（广州）有限公司", region_id=south.id, status="signed")
    hardware.data_card = DealerDataCard(filled_on=date(2026, 3, 4), licence_no="91440101MA0000001X")
    twin_a = Dealer(name="新星五金（天河）公司", region_id=south.id)
    twin_b = Dealer(name="新星五金天河有限公司", region_id=north.id)
    northern = Dealer(name="北方建材", region_id=north.id)
    s.add_all([hardware, twin_a, twin_b, northern])
    s.commit()
    return {"hardware": hardware, "northern": northern, "south": south.id, "north": north.id}


def _check(s, user, path, headers=HEADERS):
    mapping = importer.guess_mapping(headers, KIND)
    return importer.check_file(s, path, mapping, kind=KIND, user=user), mapping


def _errors(report) -> dict[int, str]:
    return {r.row_number: " ".join(r.errors) for r in report.rejected}


def test_the_dealer_columns_are_guessed():
    mapping = importer.guess_mapping(HEADERS, KIND)
    assert (mapping["dealer"], mapping["licence_no"]) == (9, 10)
    english = ["File code", "Title", "Dealer", "Business licence number", "Archive room"]
    assert set(importer.guess_mapping(english, KIND)) == {
        "file_code", "file_title", "dealer", "licence_no", "room",
    }  # fmt: skip


def test_dealers_files_round_trip(s, world, dealers, tmp_path):
    custodian, hardware, northern = world["custodian"], dealers["hardware"], dealers["northern"]
    rows = [
        row("D-1", 经销商名称="华南五金（广州）有限公司"),  # by name as typed
        row("D-2", 经销商名称="华南五金(广州)有限责任公司"),  # loosely: one similar name
        row("D-3", 营业执照号="91440101ma0000001x"),  # by licence number
        row("D-4", 客户类别="经销商", 客户姓名="北方建材"),  # the name column holds the dealer
        row(
            "D-5",
            经销商名称="华南五金（广州）有限公司",
            营业执照号="91440101MA0000001X",
            客户姓名="华南五金广州公司",
        ),  # fmt: skip
    ]
    path = write_xlsx(tmp_path / "files.xlsx", rows, HEADERS)
    report, mapping = _check(s, custodian, path)
    assert (report.total, report.valid) == (5, 5), _errors(report)
    importer.import_file(
        s, custodian, path, mapping, skip_rejected=False, kind=KIND, consent=CONSENT
    )
    s.commit()
    files = {f.code: f for f in s.scalars(select(ArchiveFile))}
    assert {c: f.dealer_id for c, f in files.items()} == {
        "D-1": hardware.id, "D-2": hardware.id, "D-3": hardware.id, "D-4": northern.id,
        "D-5": hardware.id,
    }  # fmt: skip
    assert {(f.owner_id, f.unit_id, f.prospect_id) for f in files.values()} == {(None,) * 3}
    assert {f.office_id for f in files.values()} == {world["owner"].office_id}


DEALER_REJECTED = {
    "unknown": (row(经销商名称="无此经销商"), "系统中没有此名称的经销商"),
    "similar-several": (row(经销商名称="新星五金(天河)有限责任公司"), "名称相近的有 2 家"),
    "unknown-licence": (row(营业执照号="91440101MA0000009Z"), "没有使用此营业执照号的经销商"),
    "name-and-licence-differ": (
        row(经销商名称="北方建材", 营业执照号="91440101MA0000001X"),
        "指向不同的经销商",
    ),
    "dealer-and-owner": (
        row(经销商名称="北方建材", 客户姓名="王业主", 手机="13900000001"),
        "不能同时属于两者",
    ),
    "dealer-and-unit": (
        row(经销商名称="北方建材", 项目="lakeside", 楼栋="3栋", 房号="1502"),
        "不能同时属于两者",
    ),
    "owner-kind-with-dealer": (row(客户类别="业主", 经销商名称="北方建材"), "不能同时属于两者"),
    "dealer-kind-without-dealer": (row(客户类别="经销商"), "请填写经销商名称或营业执照号"),
}


@pytest.mark.parametrize("case", sorted(DEALER_REJECTED))
def test_a_wrong_dealer_row_is_refused(s, world, dealers, tmp_path, case):
    line, message = DEALER_REJECTED[case]
    path = write_xlsx(tmp_path / "bad.xlsx", [line], HEADERS)
    errors = _errors(_check(s, world["custodian"], path)[0])[2]
    assert message in errors, errors
    assert "新星" not in errors and "91440101" not in errors and "13900000001" not in errors


def test_a_custodian_with_a_region_finds_its_dealers_only(s, world, dealers, tmp_path):
    keeper = make_user(s, "custodian", region_id=dealers["south"])
    s.commit()
    rows = [row("R-1", 经销商名称="北方建材"), row("R-2", 经销商名称="新星五金(天河)有限责任公司")]
    path = write_xlsx(tmp_path / "files.xlsx", rows, HEADERS)
    report, _mapping = _check(s, keeper, path)
    # the north's dealers are not looked at: one similar name is left in the south
    assert list(_errors(report)) == [2]


def test_a_unit_with_an_owners_number_must_be_that_owners(s, world, tmp_path):
    """The owner found by the number must own the unit now or have owned it before."""
    unit, owner = world["unit"], world["owner"]
    seller = Owner(name="钱前业主", mobile="13900000005")
    stranger = Owner(name="孙某", mobile="13900000006", id_number=id_number(6))
    s.add_all([seller, stranger])
    s.flush()
    s.add(Ownership(unit=unit, owner=seller, started_on=date(2020, 1, 1),
                    ended_on=date(2025, 4, 30)))  # fmt: skip
    s.commit()
    unit_cells = {"项目": "lakeside", "楼栋": "3栋", "房号": "1502"}
    rows = [
        row("U-1", 客户姓名="王业主", 手机="13900000001", **unit_cells),  # the current owner
        row("U-2", 客户姓名="钱前业主", 手机="13900000005", **unit_cells),  # a past owner
        row("U-3", 客户姓名="孙某", 手机="13900000006", **unit_cells),  # never owned it
        row("U-4", 客户姓名="孙某", 身份证号=id_number(6), **unit_cells),
    ]
    path = write_xlsx(tmp_path / "files.xlsx", rows, HEADERS)
    report, mapping = _check(s, world["custodian"], path)
    errors = _errors(report)
    assert set(errors) == {4, 5}, errors
    assert "孙某 139****0006 既不是房屋 3栋 1502 的现任业主，也不是其原业主" in errors[4]
    assert "13900000006" not in errors[4]
    assert id_number(6) not in errors[5] and "原业主" in errors[5]
    importer.import_file(
        s, world["custodian"], path, mapping, skip_rejected=True, kind=KIND, consent=CONSENT
    )
    s.commit()
    files = {f.code: (f.unit_id, f.owner_id) for f in s.scalars(select(ArchiveFile))}
    assert files == {"U-1": (unit.id, owner.id), "U-2": (unit.id, seller.id)}


def test_a_unit_without_any_owner_refuses_an_owners_number(s, world, tmp_path):
    empty = Unit(project_id=world["project"].id, building="5栋", room="101")
    s.add(empty)
    s.commit()
    line = row(
        "E-1", 客户姓名="王业主", 手机="13900000001", 项目="lakeside", 楼栋="5栋", 房号="101"
    )
    path = write_xlsx(tmp_path / "files.xlsx", [line], HEADERS)
    errors = _errors(_check(s, world["custodian"], path)[0])
    assert "既不是房屋 5栋 101 的现任业主" in errors[2]
