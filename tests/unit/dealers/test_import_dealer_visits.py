"""The dealer visits import (kind ``dealer_visit``, services/dealers/import_dealers.py): a row
per visit of a dealer already in the panel, found by name (as typed, else loosely when only
one matches), licence number or mobile (blind index), in the region manager's region;
duplicates (same dealer, date and visitor) in the file and in the panel; masked messages."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from extensions import db
from models.dealers.dealers import Dealer, DealerDataCard, DealerVisit
from models.privacy.audit import AccessEvent
from models.privacy.privacy import ConsentRecord
from services.shared import import_kinds, importer
from tests.factories import make_user, ref_item
from tests.importing import write_xlsx

pytestmark = pytest.mark.instant()
KIND = "dealer_visit"
CONSENT = importer.ConsentBasis("contract", "经销商合作", "2026-01")
HEADERS = ["经销商名称", "区域", "营业执照号", "手机", "拜访日期", "拜访人", "拜访内容"]


def row(name="华南五金有限公司", **cells) -> list:
    values = dict.fromkeys(HEADERS)
    values.update({"经销商名称": name, "拜访日期": "2026年10月8日", "拜访内容": "谈了返利政策"})
    values.update(cells)
    return [values[h] for h in HEADERS]


@pytest.fixture
def s(app):
    with app.app_context():
        assert KIND in import_kinds.KINDS
        yield db.session
        db.session.rollback()


@pytest.fixture
def world(s):
    """Two regions; in the south a manager, a colleague and three dealers (one with a card
    and a mobile), in the north a dealer of the same name and a manager."""
    south = ref_item(s, "region", "south")
    south.label = "南区"
    north = ref_item(s, "region", "north")
    north.label = "北区"
    s.flush()
    manager = make_user(s, "region_manager", region_id=south.id, full_name="李经理")
    colleague = make_user(s, "region_manager", region_id=south.id, full_name="周业务")
    far = make_user(s, "region_manager", region_id=north.id, full_name="北区经理")
    hardware = Dealer(name="华南五金有限公司", region_id=south.id, mobile="13900000001")
    hardware.data_card = DealerDataCard(filled_on=date(2026, 3, 4), licence_no="91440101MA0000001X")
    bright = Dealer(name="光明建材（广州）有限公司", region_id=south.id)
    other = Dealer(name="东方商行", region_id=south.id, mobile="13900000002")
    northern = Dealer(name="华南五金有限公司", region_id=north.id, mobile="13900000003")
    s.add_all([hardware, bright, other, northern])
    s.commit()
    return {"manager": manager, "colleague": colleague, "far": far, "hardware": hardware,
            "bright": bright, "other": other, "northern": northern, "south": south.id,
            "north": north.id}  # fmt: skip


def _check(s, user, path, headers=HEADERS):
    mapping = importer.guess_mapping(headers, KIND)
    return importer.check_file(s, path, mapping, kind=KIND, user=user), mapping


def _errors(report) -> dict[int, str]:
    return {r.row_number: " ".join(r.errors) for r in report.rejected}


def test_titles_are_guessed_in_chinese_and_english():
    from models.shared.imports import ImportMapping

    assert len(KIND) <= ImportMapping.__table__.c.kind.type.length
    assert importer.guess_mapping(HEADERS, KIND) == {
        "name": 0, "region": 1, "licence_no": 2, "mobile": 3, "visited_on": 4, "visitor": 5,
        "summary": 6,
    }  # fmt: skip
    english = ["Dealer name", "Business licence number", "Mobile", "Visit date", "Visited by",
               "What was discussed"]  # fmt: skip
    assert list(importer.guess_mapping(english, KIND)) == [
        "name", "licence_no", "mobile", "visited_on", "visitor", "summary",
    ]  # fmt: skip
    assert set(importer.field_labels(KIND)) == set(importer.KINDS[KIND].fields)
    assert importer.field_labels(KIND)["summary"] == "What was discussed"


def test_visits_round_trip(s, world, tmp_path):
    manager, hardware, bright, other = (
        world[k] for k in ("manager", "hardware", "bright", "other")
    )
    rows = [
        row(),  # by name; blank visitor: the importing manager
        row(
            None, 营业执照号="91440101ma0000001x", 拜访日期="2026/10/9", 拜访人="周业务"
        ),  # licence
        row(None, 手机="139 0000 0002", 拜访日期="2026.10.10"),  # by mobile (blind index)
        row("光明建材(广州)有限责任公司", 拜访日期=45940),  # loosely: one similar name; a serial
        row("华南五金有限公司", 手机="13900000001", 拜访日期="2026-10-08", 拜访人="周业务"),
    ]
    path = write_xlsx(tmp_path / "visits.xlsx", rows, HEADERS)
    report, mapping = _check(s, manager, path)
    assert (report.total, report.valid) == (5, 5), _errors(report)
    outcome = importer.import_file(
        s, manager, path, mapping, skip_rejected=False, kind=KIND, consent=CONSENT
    )
    s.commit()
    assert outcome.inserted == 5
    visits = s.scalars(select(DealerVisit).order_by(DealerVisit.id)).all()
    colleague = world["colleague"].id
    assert [(v.dealer_id, v.visited_on, v.visitor_id) for v in visits] == [
        (hardware.id, date(2026, 10, 8), manager.id),
        (hardware.id, date(2026, 10, 9), colleague),
        (other.id, date(2026, 10, 10), manager.id),
        (bright.id, date(2025, 10, 10), manager.id),
        (hardware.id, date(2026, 10, 8), colleague),
    ]
    assert visits[0].summary == "谈了返利政策" and visits[0].created_by_id == manager.id
    event = s.scalar(select(AccessEvent).where(AccessEvent.action == "import"))
    assert event.record_type == "dealer_visit" and event.user_id == manager.id
    assert s.scalar(select(func.count(ConsentRecord.id))) == 0  # a visit is no person


def test_wrong_rows_are_refused_with_clear_masked_messages(s, world, tmp_path):
    s.add(DealerVisit(dealer_id=world["hardware"].id, visited_on=date(2026, 9, 1),
                      visitor_id=world["manager"].id, summary="旧"))  # fmt: skip
    s.commit()
    rows = [
        row(),  # 2: fine
        row(),  # 3: row 2 again (same dealer, date, visitor)
        row(拜访日期="2026-09-01"),  # 4: in the panel
        row("无此经销商"),  # 5
        row(None, 手机="13900000003"),  # 6: the north's dealer: not found in the south
        row(None, 营业执照号="91440101MA0000009Z"),  # 7
        row("东方商行", 手机="13900000001"),  # 8: name and mobile of two dealers
        row(None),  # 9: no dealer named
        row(拜访内容=None),  # 10
        row(拜访日期="2027-01-01"),  # 11: future
        row(拜访日期="3/4/2026"),  # 12: ambiguous
        row(拜访人="北区经理"),  # 13: another region's account
        row(区域="北区"),  # 14: another region
        row(拜访日期="2026-10-08", 拜访人="周业务"),  # 15: another visitor: no duplicate
        row(手机="123"),  # 16
    ]
    path = write_xlsx(tmp_path / "visits.xlsx", rows, HEADERS)
    report, mapping = _check(s, world["manager"], path)
    errors = _errors(report)
    assert set(errors) == set(range(3, 15)) | {16}, errors
    assert "第 2 行" in errors[3] and "拜访人" in errors[3]
    assert "已有此拜访人在该日期的拜访记录" in errors[4]
    assert "请先导入" in errors[5]
    assert "139****0003" in errors[6] and "13900000003" not in errors[6]
    assert "营业执照号" in errors[7] and "91440101MA0000009Z" not in errors[7]
    assert "指向不同的经销商" in errors[8]
    assert "请指明经销商" in errors[9]
    assert "缺少洽谈内容" in errors[10]
    assert "2027-01-01" in errors[11]
    assert "3/4/2026" in errors[12]
    assert "北区经理" in errors[13]
    assert "本区域" in errors[14]
    for message in errors.values():
        assert "1390000000" not in message
    with pytest.raises(importer.RowsRejected):
        importer.import_file(
            s, world["manager"], path, mapping, skip_rejected=False, kind=KIND, consent=CONSENT
        )
    s.rollback()
    assert s.scalar(select(func.count(DealerVisit.id))) == 1  # all or nothing
    outcome = importer.import_file(
        s, world["manager"], path, mapping, skip_rejected=True, kind=KIND, consent=CONSENT
    )
    s.commit()
    assert (outcome.inserted, outcome.skipped) == (2, 13)


def test_a_duplicate_is_found_whatever_names_the_dealer(s, world, tmp_path):
    """Two rows naming one dealer differently (name, then mobile) on one day are one visit."""
    rows = [row(), row(None, 手机="13900000001")]
    path = write_xlsx(tmp_path / "visits.xlsx", rows, HEADERS)
    errors = _errors(_check(s, world["manager"], path)[0])
    assert list(errors) == [3] and "第 2 行" in errors[3]


def test_several_similar_names_are_counted_not_shown(s, world, tmp_path):
    south = world["south"]
    s.add_all([Dealer(name="新星五金（天河）公司", region_id=south),
               Dealer(name="新星五金天河有限公司", region_id=south)])  # fmt: skip
    s.commit()
    path = write_xlsx(tmp_path / "visits.xlsx", [row("新星五金(天河)有限责任公司")], HEADERS)
    errors = _errors(_check(s, world["manager"], path)[0])
    assert "名称相近的有 2 家" in errors[2]
    assert "新星五金" not in errors[2]


def test_another_role_names_the_region_to_tell_dealers_apart(s, world, tmp_path):
    """A supervisor sees every region: the same name in two regions needs the region."""
    supervisor = make_user(s, "supervisor")
    s.commit()
    rows = [row(拜访人="李经理"), row(区域="北区", 拜访人="北区经理")]
    path = write_xlsx(tmp_path / "visits.xlsx", rows, HEADERS)
    errors = _errors(_check(s, supervisor, path)[0])
    assert list(errors) == [2] and "请填写区域" in errors[2]


def test_a_mobile_two_dealers_share_needs_more(s, world, tmp_path):
    south = world["south"]
    s.add_all([Dealer(name="甲商行", region_id=south, mobile="13900000009"),
               Dealer(name="乙商行", region_id=south, mobile="13900000009")])  # fmt: skip
    s.commit()
    rows = [row(None, 手机="13900000009"), row("乙商行", 手机="13900000009")]
    path = write_xlsx(tmp_path / "visits.xlsx", rows, HEADERS)
    errors = _errors(_check(s, world["manager"], path)[0])
    assert list(errors) == [2] and "本行与多家经销商相符" in errors[2]
    assert "13900000009" not in errors[2]
