"""The paper files' register import (services/archive/import_files.py): a row per paper
file, its customer found by name and phone or ID number (blind indexes) or by its unit, its
place, custodian and state; duplicates, masking, all or nothing, offices."""

from __future__ import annotations

from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from stdnum.cn import ric

from extensions import db
from models.admin.offices import Office
from models.archive.archives import ArchiveFile
from models.privacy.audit import AccessEvent
from models.privacy.privacy import ConsentRecord
from models.property.property import Owner, Ownership, Unit
from services.shared import import_kinds, importer  # noqa: F401 (every kind registered)
from tests.factories import make_prospect, make_user, ref_item
from tests.importing import write_xlsx

pytestmark = pytest.mark.instant()
KIND = "archive_file"
CONSENT = importer.ConsentBasis("contract", "物业服务", "2026-01")
HEADERS = ["档案编号", "档案名称", "客户类别", "客户姓名", "手机", "身份证号", "项目", "楼栋",
           "房号", "存放位置", "状态", "保管人", "核查日期", "备注"]  # fmt: skip


def id_number(n: int) -> str:
    body = f"110105194912{n:02d}00{n % 10}"[:17]
    return body + ric.calc_check_digit(body + "0")


def row(code="DA-001", **cells) -> list:
    values = dict.fromkeys(HEADERS)
    values.update(
        {"档案编号": code, "档案名称": f"{code} 购房合同", "存放位置": "一号档案室/3柜/2层/15盒"}
    )
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


def make_world(s) -> dict:
    """A custodian, an owner with a unit, a welcome card, a second custodian."""
    project = ref_item(s, "project", "lakeside")
    custodian = make_user(s, "custodian", full_name="李保管")
    keeper = make_user(s, "custodian", full_name="周保管")
    owner = Owner(name="王业主", mobile="13900000001", id_number=id_number(1))
    unit = Unit(project_id=project.id, building="3栋", room="1502")
    s.add_all([owner, unit])
    s.flush()
    s.add(Ownership(unit=unit, owner=owner, started_on=date(2025, 5, 1)))
    card = make_prospect(s, name="赵来访", mobile="13900000009")
    s.commit()
    return {"custodian": custodian, "keeper": keeper, "owner": owner, "unit": unit,
            "card": card, "project": project}  # fmt: skip


def _check(s, user, path, headers=HEADERS):
    mapping = importer.guess_mapping(headers, KIND)
    return importer.check_file(s, path, mapping, kind=KIND, user=user)


def _errors(report) -> dict[int, str]:
    return {r.row_number: " ".join(r.errors) for r in report.rejected}


def test_chinese_and_english_titles_are_guessed():
    assert importer.guess_mapping(HEADERS, KIND) == {
        "file_code": 0, "file_title": 1, "belongs_to": 2, "name": 3, "mobile": 4, "id_number": 5,
        "project": 6, "building": 7, "unit_room": 8, "place": 9, "state": 10, "custodian": 11,
        "last_checked_on": 12, "notes": 13,
    }  # fmt: skip
    english = ["File code", "Title", "Name", "Mobile", "Archive room", "Cabinet", "Shelf", "Box",
               "State", "Custodian", "Last checked"]  # fmt: skip
    assert set(importer.guess_mapping(english, KIND)) == {
        "file_code", "file_title", "name", "mobile", "room", "cabinet", "shelf", "box", "state",
        "custodian", "last_checked_on",
    }  # fmt: skip
    labels = importer.field_labels(KIND)
    assert set(labels) == set(importer.KINDS[KIND].fields)


def test_a_register_round_trip(s, world, tmp_path):
    custodian, owner, unit, card = (world[k] for k in ("custodian", "owner", "unit", "card"))
    rows = [
        row("DA-001", 客户姓名="王业主", 手机="139 0000 0001", 状态="在库", 保管人="周保管",
            核查日期="2026/3/1", 备注="原件"),  # by name and mobile
        row("DA-002", 客户姓名="王业主", 身份证号=id_number(1), 客户类别="业主"),  # by ID number
        row("DA-003", 项目="lakeside", 楼栋="3栋", 房号=1502),  # by unit: its current owner
        row("DA-004", 客户类别="意向客户", 客户姓名="赵来访", 手机=13900000009),  # a welcome card
        row("DA-005", 存放位置="二号档案室 A柜"),  # no customer: an office file
    ]  # fmt: skip
    path = write_xlsx(tmp_path / "files.xlsx", rows, HEADERS)
    report = _check(s, custodian, path)
    assert (report.total, report.valid) == (5, 5), _errors(report)
    mapping = importer.guess_mapping(HEADERS, KIND)
    outcome = importer.import_file(
        s, custodian, path, mapping, skip_rejected=False, kind=KIND, consent=CONSENT
    )
    s.commit()
    assert outcome.inserted == 5
    files = {f.code: f for f in s.scalars(select(ArchiveFile))}
    first = files["DA-001"]
    assert (first.room, first.cabinet, first.shelf, first.box) == (
        "一号档案室",
        "3柜",
        "2层",
        "15盒",
    )
    assert first.owner_id == owner.id and first.unit_id is None and first.state == "in_room"
    assert first.custodian_id == world["keeper"].id and first.notes == "原件"
    assert first.last_checked_on == date(2026, 3, 1) and first.title == "DA-001 购房合同"
    assert files["DA-002"].owner_id == owner.id
    assert (files["DA-003"].unit_id, files["DA-003"].owner_id) == (unit.id, owner.id)
    assert files["DA-004"].prospect_id == card.id and files["DA-004"].owner_id is None
    assert files["DA-004"].office_id == card.office_id
    assert (files["DA-005"].room, files["DA-005"].cabinet) == ("二号档案室", "A柜")
    assert files["DA-005"].custodian_id == custodian.id  # blank: the importing custodian
    assert all(f.office_id == owner.office_id for c, f in files.items() if c != "DA-004")
    # each chunk is logged; a file is no person: no consent is recorded for it
    event = s.scalar(select(AccessEvent).where(AccessEvent.action == "import"))
    assert event.record_type == "archive_file" and event.user_id == custodian.id
    assert s.scalar(select(func.count(ConsentRecord.id))) == 0


def test_a_sheet_with_a_title_and_its_own_place_columns(s, world, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["纸质档案登记表（2026年）"])
    sheet.append([])
    sheet.append(["档号", "题名", "档案室", "柜号", "架号", "盒号", "状态"])
    sheet.append(["A-9", "物业交接资料", "档案室一", "2", "3", "4", None])
    sheet.append([1001, "财务凭证", "档案室一", None, None, None, "已归档"])
    path = tmp_path / "titled.xlsx"
    workbook.save(path)
    table = importer.open_table(path, kind=KIND)
    headers = table.headers
    table.close()
    report = _check(s, world["custodian"], path, headers)
    assert (report.total, report.valid) == (2, 2), _errors(report)
    importer.import_file(
        s, world["custodian"], path, importer.guess_mapping(headers, KIND),
        skip_rejected=False, kind=KIND, consent=CONSENT,
    )  # fmt: skip
    files = {f.code: f for f in s.scalars(select(ArchiveFile))}
    assert files["A-9"].place == "档案室一 / 2 / 3 / 4"
    assert files["1001"].state == "in_room"


REJECTED = {
    "lent-out": (row("X1", 状态="借出"), "档案台登记借出"),
    "destroyed": (row("X1", 状态="已销毁"), "登记销毁"),
    "unknown-state": (row("X1", 状态="火星"), "未知状态：火星"),
    "no-room": (row("X1", 存放位置=None), "缺少档案室"),
    "place-too-long": (row("X1", 存放位置="a/b/c/d/e"), "超过四段"),
    "unknown-project": (row("X1", 项目="火星", 楼栋="1栋", 房号="101"), "未知的项目：火星（可选："),
    "no-such-unit": (row("X1", 项目="lakeside", 楼栋="9栋", 房号="101"), "没有房屋 9栋 101"),
    "half-a-unit": (row("X1", 项目="lakeside", 房号="101"), "请用项目、楼栋和房号指明房屋"),
    "not-the-owner": (
        row("X1", 项目="lakeside", 楼栋="3栋", 房号="1502", 客户姓名="钱某"),
        "钱某 不是房屋 3栋 1502 的现任业主",
    ),
    "name-only": (row("X1", 客户姓名="王业主"), "请填写王业主的手机号或身份证号"),
    "phone-without-name": (row("X1", 手机="13900000001"), "缺少客户姓名"),
    "unknown-customer": (row("X1", 客户姓名="王业主", 手机="13900000077"), "139****0077"),
    "wrong-name": (
        row("X1", 客户姓名="王某", 手机="13900000001"),
        "没有与 王某 139****0001 相符的业主或意向客户",
    ),
    "card-by-id": (
        row("X1", 客户类别="意向客户", 客户姓名="赵来访", 身份证号=id_number(3)),
        "意向客户按手机号查找",
    ),
    "bad-kind": (row("X1", 客户类别="供应商"), "请填写“业主”“意向客户”或“经销商”"),
    "unknown-custodian": (row("X1", 保管人="孙某"), "没有名为 孙某 的档案管理员"),
    "bad-date": (row("X1", 核查日期="2026-13-45"), "日期有误"),
    "future-check": (row("X1", 核查日期="2099-01-01"), "最近核查超出范围"),
    "bad-mobile": (row("X1", 客户姓名="王业主", 手机="123"), "手机号码有误"),
    "no-code": (row(None), "缺少档案编号"),
}


@pytest.mark.parametrize("case", sorted(REJECTED))
def test_a_wrong_row_is_rejected_with_a_clear_message(s, world, tmp_path, case):
    line, message = REJECTED[case]
    path = write_xlsx(tmp_path / "bad.xlsx", [line], HEADERS)
    report = _check(s, world["custodian"], path)
    assert report.valid == 0
    errors = _errors(report)[2]
    assert message in errors, errors
    assert "13900000077" not in errors and "13900000001" not in errors  # masked


def test_duplicate_codes_in_the_file_and_in_the_panel(s, world, tmp_path):
    s.add(ArchiveFile(code="DA-OLD", title="旧档案", room="一号档案室"))
    s.commit()
    rows = [row("DA-1"), row("DA-1"), row("DA-OLD"), row(" DA- 2 ")]
    path = write_xlsx(tmp_path / "dups.xlsx", rows, HEADERS)
    report = _check(s, world["custodian"], path)
    errors = _errors(report)
    assert report.valid == 2 and set(errors) == {3, 4}
    assert "与本文件第 2 行的档案编号相同" in errors[3]
    assert "档案编号 DA-OLD 已在系统中" in errors[4]


def test_ambiguous_customers_are_refused(s, world, tmp_path):
    # a second owner with the same name and mobile; and an owner who is also a welcome card
    s.add(Owner(name="王业主", mobile="13900000001"))
    s.add(Owner(name="赵来访", mobile="13900000009"))
    s.commit()
    rows = [
        row("D1", 客户姓名="王业主", 手机="13900000001"),
        row("D2", 客户姓名="赵来访", 手机="13900000009"),
        row("D3", 客户姓名="赵来访", 手机="13900000009", 客户类别="意向客户"),
    ]
    path = write_xlsx(tmp_path / "ambiguous.xlsx", rows, HEADERS)
    errors = _errors(_check(s, world["custodian"], path))
    assert set(errors) == {2, 3}
    assert "多名客户" in errors[2] and "139****0001" in errors[2]
    assert "既是业主又是意向客户" in errors[3] and "客户类别" in errors[3]


def test_another_offices_customer_is_not_found(s, world, tmp_path):
    elsewhere = Office(name="城西物业处", kind="management", active=True)
    s.add(elsewhere)
    s.flush()
    far = make_user(s, "custodian", offices=[elsewhere])
    s.commit()
    path = write_xlsx(
        tmp_path / "far.xlsx", [row("F1", 客户姓名="王业主", 手机="13900000001")], HEADERS
    )
    errors = _errors(_check(s, far, path))
    assert "您所在办公点没有与 王业主 139****0001 相符" in errors[2]
    # and the other office's custodian cannot be named either
    path = write_xlsx(tmp_path / "far2.xlsx", [row("F2", 保管人="李保管")], HEADERS)
    assert "没有名为 李保管 的档案管理员" in _errors(_check(s, far, path))[2]


def test_all_or_nothing_unless_skipped(s, world, tmp_path):
    rows = [row("OK-1"), row("BAD", 状态="借出"), row("OK-2")]
    path = write_xlsx(tmp_path / "mixed.xlsx", rows, HEADERS)
    mapping = importer.guess_mapping(HEADERS, KIND)
    user = world["custodian"]
    with pytest.raises(importer.RowsRejected):
        importer.import_file(s, user, path, mapping, skip_rejected=False, kind=KIND,
                             consent=CONSENT)  # fmt: skip
    s.rollback()
    assert s.scalar(select(func.count(ArchiveFile.id))) == 0
    outcome = importer.import_file(
        s, user, path, mapping, skip_rejected=True, kind=KIND, consent=CONSENT
    )
    s.commit()
    assert (outcome.inserted, outcome.skipped) == (2, 1)
    assert set(s.scalars(select(ArchiveFile.code))) == {"OK-1", "OK-2"}


def test_only_the_custodian_creates_paper_files():
    from core import access

    makers = {r for r in access.ROLES if access.can(r, "archive_file", access.CREATE)}
    assert makers == {"custodian"}
