"""The import of records attached to units already in the panel: parking spaces, resident
cards and vehicle cards."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from extensions import db
from models.property.property import (
    Owner,
    Ownership,
    ParkingSpace,
    ResidentCard,
    Unit,
    VehicleCard,
)
from services.shared import importer
from tests.factories import make_user, ref_item
from tests.importing import write_xlsx

pytestmark = pytest.mark.instant()
CONSENT = importer.ConsentBasis("contract", "物业服务", "2026-01")


@pytest.fixture
def s(app):
    with app.app_context():
        yield db.session
        db.session.rollback()


@pytest.fixture
def units(s):
    project = ref_item(s, "project", "lakeside")
    found = {
        room: Unit(project_id=project.id, building="1栋", room=room) for room in ("101", "102")
    }
    s.add_all(found.values())
    owner = Owner(name="王业主", mobile="13900000001")
    s.add(owner)
    s.flush()
    s.add(Ownership(unit_id=found["101"].id, owner_id=owner.id, started_on=date(2025, 1, 1)))
    s.add(VehicleCard(card_no="V001", unit_id=found["102"].id, plate_no="粤B00001",
                      holder_name="老车主", issued_on=date(2024, 1, 1)))  # fmt: skip
    s.commit()
    return found, owner


def _run(s, user, kind, headers, rows, tmp_path):
    path = write_xlsx(tmp_path / f"{kind}.xlsx", rows, headers)
    mapping = importer.guess_mapping(headers, kind)
    assert len(mapping) == len(headers), mapping
    report = importer.check_file(s, path, mapping, kind=kind, user=user)
    errors = {r.row_number: " ".join(r.errors) for r in report.rejected}
    with pytest.raises(importer.RowsRejected):
        importer.import_file(s, user, path, mapping, skip_rejected=False, kind=kind,
                             consent=CONSENT)  # fmt: skip
    s.rollback()
    outcome = importer.import_file(
        s, user, path, mapping, skip_rejected=True, kind=kind, consent=CONSENT
    )
    s.commit()
    return errors, outcome


def test_parking_spaces(s, units, tmp_path):
    found, owner = units
    user = make_user(s, "clerk")
    s.commit()
    headers = ["车位号", "车位性质", "楼盘", "楼栋", "房号", "停车费缴至"]
    rows = [
        ["B1-001", "已购", "lakeside", "1栋", "101", "2026-12-31"],
        ["B1-002", "空置", None, None, None, None],
        ["B1-001", "已购", "lakeside", "1栋", "102", None],  # the same space twice
        ["B1-003", "租用", None, None, None, None],  # rented: to which unit?
        ["B1-004", "空置", "lakeside", "1栋", "102", None],  # free with a unit
        ["B1-005", "月租", "lakeside", "1栋", "109", None],  # no such unit
        ["B1-006", "飞车", None, None, None, None],
    ]
    errors, outcome = _run(s, user, "parking_space", headers, rows, tmp_path)
    assert set(errors) == {4, 5, 6, 7, 8}, errors
    assert "第 2 行" in errors[4] or "row 2" in errors[4]
    assert "109" in errors[7] and "飞车" in errors[8]
    assert (outcome.inserted, outcome.skipped) == (2, 5)
    spaces = {p.code: p for p in s.scalars(select(ParkingSpace))}
    bought = spaces["B1-001"]
    assert (bought.tenure, bought.unit_id, bought.owner_id) == ("bought", found["101"].id, owner.id)
    assert bought.fees_paid_until == date(2026, 12, 31)
    assert bought.office_id == found["101"].office_id
    assert (spaces["B1-002"].tenure, spaces["B1-002"].unit_id) == ("free", None)


def test_vehicle_and_resident_cards(s, units, tmp_path):
    found, _owner = units
    user = make_user(s, "clerk")
    s.commit()
    headers = ["卡号", "车牌号", "持卡人", "发卡日期", "退卡日期", "楼盘", "楼栋", "房号"]
    rows = [
        ["V100", "粤B12345", "王业主", "2025-01-01", None, "lakeside", "1栋", "101"],
        ["V101", "粤b·D12345", "王业主", "2025-01-01", "2025-06-01", "lakeside", "1栋", "101"],
        ["V001", "粤B54321", "王业主", "2025-01-01", None, "lakeside", "1栋", "101"],
        ["V102", "12345", "王业主", "2025-01-01", None, "lakeside", "1栋", "101"],
        ["V103", "粤A11111", "李", "2025-01-01", "2024-01-01", "lakeside", "1栋", "102"],
        ["V104", "粤A22222", "李", "2025-01-01", None, "lakeside", "1栋", None],
    ]
    errors, outcome = _run(s, user, "vehicle_card", headers, rows, tmp_path)
    assert set(errors) == {4, 5, 6, 7}, errors
    assert "V001" in errors[4] and "12345" in errors[5]
    assert outcome.inserted == 2
    cards = {c.card_no: c for c in s.scalars(select(VehicleCard))}
    assert (cards["V100"].plate_no, cards["V100"].status) == ("粤B12345", "active")
    assert (cards["V101"].plate_no, cards["V101"].status) == ("粤BD12345", "returned")
    assert cards["V100"].unit_id == found["101"].id

    headers = ["卡号", "持卡人", "发卡日期", "退卡日期", "楼盘", "楼栋", "房号"]
    rows = [
        ["R1", "王业主", "2025-01-01", None, "lakeside", "1栋", "101"],
        ["R2", "王小", "2025-01-01", "2025-02-01", "lakeside", "1栋", "101"],
        ["R2", "王小", "2025-01-01", None, "lakeside", "1栋", "102"],
    ]
    errors, outcome = _run(s, user, "resident_card", headers, rows, tmp_path)
    assert set(errors) == {4} and outcome.inserted == 2
    statuses = {c.card_no: c.status for c in s.scalars(select(ResidentCard))}
    assert statuses == {"R1": "active", "R2": "returned"}
