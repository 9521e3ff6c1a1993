"""The welcome-card import takes every field of the card: the standard entries (matched by
their labels and common variants), the budget, the consultant, the progress tag, the scout
mark, and the later visits as columns or as later rows of the same customer."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from extensions import db
from models.admin.reference import ReferenceItem
from models.sales.prospects import Prospect, Visit
from services.shared import importer
from tests.factories import make_prospect, make_user, ref_item
from tests.importing import write_xlsx

pytestmark = pytest.mark.instant()
CONSENT = importer.ConsentBasis("consent", "购房咨询", "2026-01")

HEADERS = [
    "客户姓名",
    "手机",
    "座机",
    "等级",
    "来源",
    "意向项目",
    "预算（万元）",
    "购房用途",
    "购房周期",
    "单位性质",
    "年龄段",
    "住房性质",
    "认知途径",
    "意向面积",
    "可接受单价",
    "家庭月收入",
    "客户类型",
    "需求类型",
    "意向区域",
    "置业顾问",
    "进度",
    "踩盘",
    "来访日期",
    "第二次来访",
    "第三次来访",
    "备注",
]


@pytest.fixture
def s(app):
    with app.app_context():
        ref_item(db.session, "source_channel", "walk_in")
        ref_item(db.session, "project", "lakeside")
        yield db.session
        db.session.rollback()


def _row(n: int, **changes) -> list:
    values = {
        "客户姓名": f"客户{n}",
        "手机": f"139{n:08d}",
        "座机": "010-62345678",
        "等级": "a",
        "来源": "来访",
        "意向项目": "lakeside",
        "预算（万元）": "150万",
        "购房用途": "自住",
        "购房周期": "１–３个月",  # full-width digits
        "单位性质": "事业单位",
        "年龄段": "25-35岁",  # a plain hyphen for the list's dash
        "住房性质": "商品房",
        "认知途径": "朋友 介绍",  # a space inside
        "意向面积": "100~120平米",  # another dash, another unit
        "可接受单价": "3000—3500",  # no unit at all
        "家庭月收入": "5-10万",
        "客户类型": "个人",
        "需求类型": "改善",
        "意向区域": "新区",
        "置业顾问": "张顾问",
        "进度": "已看房",
        "踩盘": "否",
        "来访日期": "2026-03-01",
        "第二次来访": "2026-03-08",
        "第三次来访": None,
        "备注": f"第{n}行",
    }
    values.update(changes)
    return [values[h] for h in HEADERS]


def _code(s, item_id) -> str:
    return s.get(ReferenceItem, item_id).code


def test_every_field_of_the_card_round_trips(s, tmp_path):
    user = make_user(s, "clerk", full_name="李录入")
    consultant = make_user(s, "clerk", full_name="张顾问")
    s.commit()
    path = write_xlsx(tmp_path / "cards.xlsx", [_row(1), _row(2, 第三次来访="2026-03-20")], HEADERS)
    mapping = importer.guess_mapping(HEADERS)
    assert set(mapping) == set(importer.KINDS["prospect"].fields) - {
        "visit_4",
        "visit_5",
        "visit_6",
    }
    report = importer.check_file(s, path, mapping, user=user)
    assert (report.total, report.valid) == (2, 2), [r.errors for r in report.rejected]
    outcome = importer.import_file(s, user, path, mapping, skip_rejected=False, consent=CONSENT)
    s.commit()
    assert (outcome.inserted, outcome.visits) == (2, 5)
    card = s.scalar(select(Prospect).where(Prospect.name == "客户1"))
    assert card.mobile == "13900000001" and card.landline == "010-62345678"
    assert card.grade == "A" and card.progress == "viewed" and card.is_scout is False
    assert card.budget_wan == Decimal("150.0")
    assert card.consultant_id == consultant.id
    codes = {
        target: _code(s, getattr(card, f"{target}_id"))
        for target in (*importer.CARD_LISTS, "source", "project")
    }
    assert codes == {
        "purpose": "live",
        "timeframe": "1_3m",
        "unit_nature": "public_institution",
        "age_band": "25_35",
        "housing": "commercial",
        "awareness": "referral",
        "area_band": "100_120",
        "price_band": "3000_3500",
        "income_band": "5w_10w",
        "customer_type": "individual",
        "need": "upgrade",
        "district": "new_district",
        "source": "walk_in",
        "project": "lakeside",
    }
    assert card.notes == "第1行"
    assert card.first_visit_on == date(2026, 3, 1) and card.last_contact_on == date(2026, 3, 8)
    visits = [(v.seq, v.visited_on, v.consultant_id) for v in card.visits]
    assert visits == [
        (1, date(2026, 3, 1), consultant.id),
        (2, date(2026, 3, 8), consultant.id),
    ]
    assert all(v.office_id == card.office_id and v.summary for v in card.visits)
    other = s.scalar(select(Prospect).where(Prospect.name == "客户2"))
    assert [v.seq for v in other.visits] == [1, 2, 3]
    assert other.last_contact_on == date(2026, 3, 20)


def test_an_unknown_label_names_its_list(s, tmp_path):
    user = make_user(s, "clerk", full_name="张顾问")
    s.commit()
    rows = [
        _row(1, 意向面积="500平米"),
        _row(2, 家庭月收入="很多"),
        _row(3, 置业顾问="王不在"),
        _row(4, 进度="犹豫"),
        _row(5, 踩盘="也许"),
        _row(6, **{"预算（万元）": "一百五十万"}),
        _row(7, 第二次来访="2026-02-01"),  # before the first visit
    ]
    path = write_xlsx(tmp_path / "bad.xlsx", rows, HEADERS)
    report = importer.check_file(s, path, importer.guess_mapping(HEADERS), user=user)
    errors = {r.row_number: " ".join(r.errors) for r in report.rejected}
    assert report.valid == 0 and set(errors) == {2, 3, 4, 5, 6, 7, 8}
    assert "意向面积" in errors[2] and "500平米" in errors[2]
    assert "家庭月收入" in errors[3] and "很多" in errors[3]
    assert "王不在" in errors[4]
    assert "犹豫" in errors[5]
    assert "也许" in errors[6]
    assert "一百五十万" in errors[7]
    assert "2026-02-01" in errors[8]


def test_later_rows_of_the_same_customer_are_receptions(s, tmp_path):
    user = make_user(s, "clerk", full_name="张顾问")
    make_prospect(s, name="老客户", mobile="13900000077")
    s.commit()
    rows = [
        _row(1, 第二次来访=None, 备注="初次"),
        _row(2, 第二次来访=None),
        _row(1, 来访日期="2026-03-05", 第二次来访=None, 备注="带家人看样板间"),
        _row(1, 来访日期="2026-03-09", 第二次来访="2026-03-12", 备注="谈价格"),
        _row(1, 客户姓名="别人", 来访日期="2026-03-20", 第二次来访=None),  # another name
        _row(2, 来访日期="2026-03-01", 第二次来访=None),  # not later: a duplicate
        _row(77, 第二次来访=None, 客户姓名="老客户"),
        _row(77, 来访日期="2026-04-01", 第二次来访=None, 客户姓名="老客户"),
    ]
    path = write_xlsx(tmp_path / "visits.xlsx", rows, HEADERS)
    mapping = importer.guess_mapping(HEADERS)
    report = importer.check_file(s, path, mapping, user=user)
    errors = {r.row_number: " ".join(r.errors) for r in report.rejected}
    assert set(errors) == {6, 7, 8, 9}
    assert "第 2 行" in errors[6] or "row 2" in errors[6]
    assert "第 3 行" in errors[7] or "row 3" in errors[7]
    # all or nothing: wrong rows stop the import
    with pytest.raises(importer.RowsRejected):
        importer.import_file(s, user, path, mapping, skip_rejected=False, consent=CONSENT)
    s.rollback()
    assert s.scalar(select(func.count(Visit.id))) == 0
    outcome = importer.import_file(s, user, path, mapping, skip_rejected=True, consent=CONSENT)
    s.commit()
    assert (outcome.inserted, outcome.skipped, outcome.visits) == (2, 4, 5)
    card = s.scalar(select(Prospect).where(Prospect.name == "客户1"))
    assert [(v.seq, v.visited_on.isoformat()) for v in card.visits] == [
        (1, "2026-03-01"),
        (2, "2026-03-05"),
        (3, "2026-03-09"),
        (4, "2026-03-12"),
    ]
    assert card.visits[1].summary == "带家人看样板间"
    assert card.last_contact_on == date(2026, 3, 12)
    assert card.notes == "初次"


@pytest.mark.parametrize("budget", ["nan", "NaN万", "-inf", "Infinity", "sNaN"])
def test_a_budget_that_is_not_a_number_is_a_row_error_not_a_failed_check(s, tmp_path, budget):
    user = make_user(s, "clerk", full_name="张顾问")
    s.commit()
    path = write_xlsx(tmp_path / "nan.xlsx", [_row(1, **{"预算（万元）": budget})], HEADERS)
    report = importer.check_file(s, path, importer.guess_mapping(HEADERS), user=user)
    assert report.valid == 0 and len(report.rejected) == 1
    assert budget in " ".join(report.rejected[0].errors)
