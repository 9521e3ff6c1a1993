"""What a customer's copy of their data says: Chinese labels, reference items by label, 是/否,
dates and Beijing times, receptions and consents in plain words, numbers in full, and no
internal number, blind index or ciphertext (views/privacy/customer_copy.py, services/privacy/customer_copy.py).
"""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import Text, select, type_coerce

from extensions import db
from models.privacy.audit import AccessEvent
from models.privacy.privacy import ConsentRecord, SubjectRequest
from models.property.moves import MoveIn
from models.property.property import Lease, ParkingSpace, ResidentCard
from models.property.transfers import Transfer
from models.sales.prospects import Prospect
from models.sales.sales import IdentityCheck
from services.privacy import audit, customer_copy
from tests.factories import make_prospect, make_user, make_visit, ref_item
from tests.web.property.test_property_views import make_owner, make_tenant, make_unit
from views.privacy import customer_copy as copy_document

# Fixed dates below were written for this instant (tests/conftest.py WRITTEN_AT).
pytestmark = pytest.mark.instant()

MOBILE = "13577778888"
#: An internal number no value of the copy can be by chance.
CARD_ID = 987654


@pytest.fixture
def ctx(app):
    with app.test_request_context("/"):
        yield db.session


def _request(session, subject_type: str, subject_id: int, kind: str = "copy") -> SubjectRequest:
    item = SubjectRequest(
        kind=kind,
        subject_type=subject_type,
        subject_id=subject_id,
        received_on=date(2026, 11, 20),
        due_on=date(2026, 12, 11),
    )
    session.add(item)
    session.flush()
    return item


@pytest.fixture
def card(ctx):
    consultant = make_user(ctx, "clerk", full_name="李顾问")
    prospect = make_prospect(
        ctx,
        id=CARD_ID,
        name="上官婉",
        mobile=MOBILE,
        landline="0755-12345678",
        project=ref_item(ctx, "project"),
        budget_wan=Decimal("120.5"),
        consultant=consultant,
        first_visit_on=date(2026, 11, 2),
        notes="=HYPERLINK(1) 想换大房",
    )
    make_visit(
        ctx,
        prospect,
        visited_on=date(2026, 11, 2),
        consultant=consultant,
        channel=ref_item(ctx, "contact_channel"),
        summary="带孩子来看学区",
        concerns="价格",
        next_appointment_on=date(2026, 11, 9),
        next_appointment_pretext="看样板间",
    )
    ctx.add(
        IdentityCheck(
            prospect_id=prospect.id,
            method="phone_callback",
            checked_by_id=consultant.id,
            checked_at=datetime(2026, 11, 3, 7, 15),
        )
    )
    ctx.add(
        ConsentRecord(
            subject_type="prospect",
            subject_id=prospect.id,
            basis="consent",
            purpose="购房咨询与回访",
            policy_version="2026-01",
            given_at=datetime(2026, 11, 2, 2, 0),  # 10:00 in Beijing
            recorded_by_id=consultant.id,
            withdrawn_at=datetime(2026, 11, 24, 16, 30),  # 00:30 the next day in Beijing
            withdrawal_note="电话撤回",
        )
    )
    ctx.flush()
    return prospect


def _cells(document) -> list:
    return [value for section in document.sections for row in section.rows for value in row]


def _section(document, title: str):
    (section,) = [s for s in document.sections if s.title == title]
    return section


def _fields(section) -> dict:
    return {label: value for label, value in section.rows}


def test_the_card_reads_in_chinese_with_labels_yes_no_and_full_numbers(ctx, card):
    document = copy_document.build(ctx, _request(ctx, "prospect", card.id))
    assert document.title == "个人信息副本" and document.customer == "温馨卡 · 上官婉"
    fields = _fields(_section(document, "温馨卡"))
    assert fields["姓名"] == "上官婉"
    assert fields["手机"] == MOBILE and fields["固定电话"] == "0755-12345678"  # in full
    assert fields["意向项目"] == card.project.label  # the item's label, not its number
    assert fields["同行踩盘"] == "否"
    assert fields["购买进度"] == "待跟进"
    assert fields["置业顾问"] == "李顾问"
    assert fields["首次来访"] == date(2026, 11, 2)
    assert fields["购房预算（万元）"] == Decimal("120.5")
    # every label is the screen's Chinese one: no column code is left
    assert not [label for label in fields if label.isascii()]


def test_receptions_identity_checks_and_consents_are_in_plain_words(ctx, card):
    document = copy_document.build(ctx, _request(ctx, "prospect", card.id))
    visits = _section(document, "接待及跟进记录")
    assert list(visits.columns[:5]) == ["序号", "日期", "方式", "接待置业顾问", "了解情况"]
    (visit,) = visits.rows
    assert visit[1] == date(2026, 11, 2) and visit[3] == "李顾问"
    assert visit[4] == "带孩子来看学区" and "顾虑：价格" in visit[5]
    assert visit[6] == "2026-11-09 看样板间"
    (check,) = _section(document, "身份核实").rows
    assert check[0] == "电话回拨核实" and check[1] == datetime(2026, 11, 3, 15, 15)
    (consent,) = _section(document, "保存资料的依据").rows
    assert consent[0] == "已告知用途，客户同意" and consent[1] == "购房咨询与回访"
    assert consent[3] == datetime(2026, 11, 2, 10, 0)  # Beijing time
    assert consent[5] == datetime(2026, 11, 25, 0, 30) and consent[6] == "电话撤回"


def test_no_internal_number_blind_index_or_ciphertext(ctx, card):
    document = copy_document.build(ctx, _request(ctx, "prospect", card.id))
    shown = [customer_copy.text(value) for value in _cells(document)]
    stored = ctx.execute(
        select(
            Prospect.mobile_bidx,
            type_coerce(Prospect.__table__.c.mobile, Text()),
            type_coerce(Prospect.__table__.c.notes, Text()),
        ).where(Prospect.id == card.id)
    ).one()
    for secret in (str(CARD_ID), *stored):
        assert not [value for value in shown if secret in value], secret
    assert not [value for value in _cells(document) if isinstance(value, bool)]
    assert "True" not in shown and "False" not in shown


def test_an_owner_has_units_transfers_move_ins_and_parking(ctx):
    owner = make_owner(ctx, name="陈业主", mobile="13900001111")
    buyer = make_owner(ctx, name="周买家")
    unit = make_unit(ctx, owner)
    ctx.add_all(
        [
            Transfer(unit=unit, seller=owner, buyer=buyer, opened_on=date(2026, 10, 8)),
            MoveIn(unit=unit, owner=owner, moved_in_on=date(2025, 1, 3), form_done=True),
            ParkingSpace(code="B1-023", tenure="bought", unit=unit, owner=owner),
        ]
    )
    ctx.flush()
    document = copy_document.build(ctx, _request(ctx, "owner", owner.id))
    titles = [section.title for section in document.sections]
    assert titles == [
        "关于本副本",
        "业主",
        "产权记录",
        "产权转让",
        "入伙记录",
        "车位",
        "纸质档案",
        "保存资料的依据",
        "向合作方共享的同意",
        "与合作方共享记录",
    ]
    assert _fields(_section(document, "业主"))["手机"] == "13900001111"
    (transfer,) = _section(document, "产权转让").rows
    assert transfer[1] == "卖方" and transfer[3] == "办理中"
    (move_in,) = _section(document, "入伙记录").rows
    assert move_in[2] == "是"
    (space,) = _section(document, "车位").rows
    assert space[:2] == ("B1-023", "已购买")
    assert _section(document, "保存资料的依据").empty


def test_a_tenant_has_leases_in_words_and_cards(ctx):
    tenant = make_tenant(ctx, name="李租", mobile="13700001234")
    unit = make_unit(ctx)
    ctx.add(
        Lease(
            unit=unit,
            tenant=tenant,
            starts_on=date(2026, 3, 1),
            status="active",
            contract_seen=True,
            management_payer="owner",
        )
    )
    ctx.add(
        ResidentCard(
            card_no="RC-9", unit=unit, holder_name="李租", tenant=tenant, issued_on=date(2026, 3, 2)
        )
    )
    ctx.flush()
    document = copy_document.build(ctx, _request(ctx, "tenant", tenant.id))
    (lease,) = _section(document, "租赁记录").rows
    assert lease[3] == "生效中"
    assert "租赁合同原件已查验：是" in lease[5] and "租赁合同复印件已留存：否" in lease[5]
    assert "物业管理费承担方：业主" in lease[6] and "水费承担方：租户" in lease[6]
    (resident_card,) = _section(document, "住户智能卡").rows
    assert resident_card[0] == "RC-9" and resident_card[-1] == "使用中"


def test_the_workbook_has_chinese_sheets_readable_widths_and_safe_text(ctx, card):
    document = copy_document.build(ctx, _request(ctx, "prospect", card.id))
    book = load_workbook(io.BytesIO(customer_copy.workbook(document)))
    assert book.sheetnames[:3] == ["关于本副本", "温馨卡", "接待及跟进记录"]
    sheet = book["温馨卡"]
    assert [c.value for c in sheet[1]] == ["项目", "内容"] and sheet[1][0].font.bold
    rows = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["手机"] == MOBILE
    assert rows["备注"].startswith("'=")  # a formula typed in a note stays text
    assert rows["首次来访"] == datetime(2026, 11, 2)  # a real date cell
    assert sheet.column_dimensions["B"].width > 10
    visits = book["接待及跟进记录"]
    assert visits["F2"].alignment.wrap_text
    assert book["身份核实"].freeze_panes == "A2"


def test_each_copy_given_is_logged(ctx, card):
    item = _request(ctx, "prospect", card.id)
    customer_copy.log_copy(ctx, audit.SYSTEM, item, path="/admin/subject_request/copy/")
    ctx.flush()
    event = ctx.scalars(select(AccessEvent).where(AccessEvent.action == "subject_copy")).one()
    assert (event.record_type, event.record_id) == ("prospect", card.id)


def test_a_missing_customer_gives_no_copy(ctx):
    with pytest.raises(copy_document.NoSuchCustomer):
        copy_document.build(ctx, _request(ctx, "tenant", 424242))
