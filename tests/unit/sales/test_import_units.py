"""The unit-list import: units, their owners and household members in one sheet (a row per
person, the unit's columns repeated or filled down)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from stdnum.cn import ric

from core.clock import office_today
from extensions import db
from models.privacy.audit import AccessEvent
from models.privacy.privacy import ConsentRecord
from models.property.property import HouseholdMember, Owner, Ownership, Unit
from services.shared import importer
from tests.factories import make_user, ref_item
from tests.importing import write_xlsx

pytestmark = pytest.mark.instant()
CONSENT = importer.ConsentBasis("contract", "物业服务", "2026-01")
HEADERS = ["项目", "楼栋", "房号", "楼层", "面积", "姓名", "与业主关系", "手机", "身份证号",
           "地址", "入住日期", "备注"]  # fmt: skip


def id_number(n: int) -> str:
    body = f"110105194912{n:02d}00{n % 10}"[:17]
    # calc_check_digit reads the first 17 characters of an 18-character number.
    return body + ric.calc_check_digit(body + "0")


@pytest.fixture
def s(app):
    with app.app_context():
        ref_item(db.session, "project", "lakeside")
        yield db.session
        db.session.rollback()


def _unit_sheet():
    return [
        ["lakeside", "3栋", "2-1502", 15, "120.5㎡", "王业主", "本人", "13900000001",
         id_number(1), "北京路1号", "2025-05-01", "钥匙两把"],
        [None, None, None, None, None, "李配偶", "配偶", "13900000002", None, None,
         "2025-05-01", None],  # filled down
        ["lakeside", "3栋", "2-1502", 15, "120.5㎡", "王小", "子女", None, id_number(2), None,
         None, None],  # repeated
        ["lakeside", "3栋", 2103, "21层", 98, "赵业主", None, "13900000004", None, None,
         None, None],  # no relation: the unit's first person is its owner
        [None] * 5 + ["钱父", "父母", None, None, None, None, None],
    ]  # fmt: skip


def test_units_owners_and_households_round_trip(s, tmp_path):
    user = make_user(s, "clerk")
    s.commit()
    path = write_xlsx(tmp_path / "units.xlsx", _unit_sheet(), HEADERS)
    mapping = importer.guess_mapping(HEADERS, "unit")
    assert set(mapping) == {
        "project", "building", "room", "floor", "area_m2", "name", "relation", "mobile",
        "id_number", "address", "started_on", "notes",
    }  # fmt: skip
    report = importer.check_file(s, path, mapping, kind="unit", user=user)
    assert (report.total, report.valid) == (5, 5), [r.errors for r in report.rejected]
    outcome = importer.import_file(
        s, user, path, mapping, skip_rejected=False, kind="unit", consent=CONSENT
    )
    s.commit()
    assert outcome.inserted == 2
    first = s.scalar(select(Unit).where(Unit.room == "2-1502"))
    assert (first.building, first.floor, first.area_m2) == ("3栋", 15, Decimal("120.50"))
    owner = first.current_owner
    assert owner.name == "王业主" and owner.mobile == "13900000001"
    assert owner.id_number == id_number(1) and owner.address == "北京路1号"
    assert owner.notes == "钥匙两把" and owner.office_id == first.office_id
    assert first.ownerships[0].started_on == date(2025, 5, 1)
    members = {m.name: m for m in first.household_members}
    assert set(members) == {"李配偶", "王小"}
    assert members["李配偶"].relation.code == "spouse"
    assert members["李配偶"].joined_on == date(2025, 5, 1)
    assert members["王小"].id_number == id_number(2)
    second = s.scalar(select(Unit).where(Unit.room == "2103"))
    assert second.floor == 21 and second.current_owner.name == "赵业主"
    assert second.ownerships[0].started_on == office_today()
    assert [m.name for m in second.household_members] == ["钱父"]
    # every record logged, the owners' basis recorded
    logged = {
        e.record_type for e in s.scalars(select(AccessEvent).where(AccessEvent.action == "import"))
    }
    assert logged == {"unit", "owner", "ownership", "household_member"}
    bases = s.scalars(select(ConsentRecord.basis).where(ConsentRecord.subject_type == "owner"))
    assert list(bases) == ["contract", "contract"]


def test_wrong_rows_of_a_unit_list(s, tmp_path):
    user = make_user(s, "clerk")
    project = ref_item(s, "project", "lakeside")
    existing = Owner(name="老业主", mobile="13900000099")
    s.add(existing)
    s.add(Unit(project_id=project.id, building="1栋", room="101"))
    s.commit()
    rows = [
        ["lakeside", "1栋", "101", None, None, "甲", None, "13900000011", None, None, None, None],
        [None] * 5 + ["甲妻", "配偶", None, None, None, None, None],  # its unit is rejected
        ["lakeside", "2栋", "201", None, None, "乙", None, "13900000099", None, None, None, None],
        ["lakeside", "2栋", "202", None, None, "丙", None, "13900000012", None, None, None, None],
        [None] * 5 + ["丁", "本人", None, None, None, None, None],  # a second owner
        [None] * 5 + ["戊", "表亲", None, None, None, None, None],  # not in the list
        [None] * 5 + ["己", "子女", None, None, "南京路", None, None],  # an owner's field
        ["lakeside", "2栋", "203", None, None, "庚", None, "13900000012", None, None, None, None],
        ["别的楼盘", "9栋", "901", None, None, "辛", None, None, None, None, None, None],
        ["lakeside", None, "204", None, None, "壬", None, None, None, None, None, None],
    ]  # fmt: skip
    path = write_xlsx(tmp_path / "bad.xlsx", rows, HEADERS)
    mapping = importer.guess_mapping(HEADERS, "unit")
    report = importer.check_file(s, path, mapping, kind="unit", user=user)
    errors = {r.row_number: " ".join(r.errors) for r in report.rejected}
    assert set(errors) == {2, 3, 4, 6, 7, 8, 9, 10, 11}
    assert "已在" in errors[2] or "already" in errors[2]
    assert "139****0099" in errors[4] and "13900000099" not in errors[4]
    assert "第 5 行" in errors[6] or "row 5" in errors[6]
    assert "表亲" in errors[7] and "与业主关系" in errors[7]
    assert "第 5 行" in errors[9] or "row 5" in errors[9]  # same mobile as row 5
    assert "别的楼盘" in errors[10]
    # all or nothing
    with pytest.raises(importer.RowsRejected):
        importer.import_file(
            s, user, path, mapping, skip_rejected=False, kind="unit", consent=CONSENT
        )
    s.rollback()
    assert s.scalar(select(func.count(Unit.id))) == 1
    # the valid rows only: unit 2栋 202 with its owner
    outcome = importer.import_file(
        s, user, path, mapping, skip_rejected=True, kind="unit", consent=CONSENT
    )
    s.commit()
    assert (outcome.inserted, outcome.skipped) == (1, 9)
    unit = s.scalar(select(Unit).where(Unit.room == "202"))
    assert unit.current_owner.name == "丙" and unit.household_members == []
    assert s.scalar(select(func.count(Ownership.id))) == 1
    assert s.scalar(select(func.count(HouseholdMember.id))) == 0


def test_a_household_of_an_owner_already_on_record_is_rejected_with_it(s, tmp_path):
    """The owner's row is rejected by the database check (its mobile is on record) after the
    rows of its household were checked in the same chunk: they are rejected with it, so that
    skipping the rejected rows imports the other units and no household without its unit."""
    user = make_user(s, "clerk")
    s.add(Owner(name="老业主", mobile="13900000099"))
    s.commit()
    rows = [
        ["lakeside", "5栋", "501", None, None, "甲", None, "13900000099", None, None, None, None],
        [None] * 5 + ["甲妻", "配偶", None, None, None, None, None],
        ["lakeside", "5栋", "502", None, None, "乙", None, "13900000013", None, None, None, None],
        [None] * 5 + ["乙子", "子女", None, None, None, None, None],
    ]  # fmt: skip
    path = write_xlsx(tmp_path / "known.xlsx", rows, HEADERS)
    mapping = importer.guess_mapping(HEADERS, "unit")
    report = importer.check_file(s, path, mapping, kind="unit", user=user)
    errors = {r.row_number: " ".join(r.errors) for r in report.rejected}
    assert set(errors) == {2, 3}
    assert "第 2 行" in errors[3] or "row 2" in errors[3]
    outcome = importer.import_file(
        s, user, path, mapping, skip_rejected=True, kind="unit", consent=CONSENT
    )
    s.commit()
    assert (outcome.inserted, outcome.skipped) == (1, 2)
    unit = s.scalar(select(Unit).where(Unit.room == "502"))
    assert unit.current_owner.name == "乙"
    assert [m.name for m in unit.household_members] == ["乙子"]
    assert s.scalar(select(func.count(Unit.id)).where(Unit.room == "501")) == 0
