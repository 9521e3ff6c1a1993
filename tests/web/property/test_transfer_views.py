"""The property-right transfer screen, with its checklist inline, through the test client."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from core.clock import office_today
from extensions import db
from models.property.property import Owner, Ownership, Unit
from models.property.transfers import Transfer, TransferItem
from tests.factories import ref_item

# Relative to the office's today: make test repeats these at NAMED_INSTANTS.
pytestmark = pytest.mark.day_sensitive

_n = itertools.count(1)


def _parties(app, seller_name="卖方甲", buyer_name="买方乙", room=None) -> dict[str, int]:
    """A unit owned by a seller, and a buyer: {"unit", "seller", "buyer"} ids."""
    with app.app_context():
        session = db.session
        seller = Owner(name=seller_name, mobile=f"139{next(_n):08d}")
        buyer = Owner(name=buyer_name, mobile=f"138{next(_n):08d}")
        unit = Unit(
            project=ref_item(session, "project", "p1"),
            building="1栋",
            room=room or f"1-{100 + next(_n)}",
        )
        session.add_all([seller, buyer, unit])
        session.add(Ownership(unit=unit, owner=seller, started_on=date(2015, 1, 1)))
        session.commit()
        return {"unit": unit.id, "seller": seller.id, "buyer": buyer.id}


def _kind_id(app, code: str) -> int:
    with app.app_context():
        return ref_item(db.session, "transfer_item", code).id


def _form(app, ids: dict[str, int], **overrides) -> dict:
    data = {
        "unit": str(ids["unit"]),
        "seller": str(ids["seller"]),
        "buyer": str(ids["buyer"]),
        "opened_on": office_today().isoformat(),
        "notes": "双方到场。",
        "items-0-position": "1",
        "items-0-kind": str(_kind_id(app, "contract_original")),
        "items-0-note": "合同编号 HT-2024-001",
        "items-1-position": "",
        "items-1-kind": str(_kind_id(app, "water_settled")),
        "items-1-note": "",
    }
    data.update(overrides)
    return data


def _make_transfer(app, **kw) -> int:
    ids = _parties(app, **kw)
    with app.app_context():
        transfer = Transfer(
            unit_id=ids["unit"], seller_id=ids["seller"], buyer_id=ids["buyer"], opened_on=office_today()
        )
        transfer.items.append(
            TransferItem(kind=ref_item(db.session, "transfer_item", "covenant_returned"))
        )
        db.session.add(transfer)
        db.session.commit()
        return transfer.id


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Transfer))


def test_list_details_create_and_edit_render_for_a_clerk(app, client, login_as):
    transfer_id = _make_transfer(app)
    login_as("clerk")
    for url in (
        "/admin/transfer/",
        f"/admin/transfer/details/?id={transfer_id}",
        "/admin/transfer/new/",
        f"/admin/transfer/edit/?id={transfer_id}",
    ):
        assert client.get(url).status_code == 200, url


def test_clerk_opens_a_transfer_with_its_checklist(app, client, login_as):
    clerk_id = login_as("clerk")
    ids = _parties(app)
    response = client.post("/admin/transfer/new/", data=_form(app, ids))
    assert response.status_code == 302
    with app.app_context():
        transfer = db.session.scalars(select(Transfer)).one()
        assert (transfer.unit_id, transfer.seller_id, transfer.buyer_id) == (
            ids["unit"],
            ids["seller"],
            ids["buyer"],
        )
        assert transfer.status == "open"
        assert transfer.created_by_id == clerk_id
        assert [i.kind.code for i in transfer.items] == ["water_settled", "contract_original"]
        assert [i.position for i in transfer.items] == [0, 1]
        assert all(i.done_at is None for i in transfer.items)
        transfer_id = transfer.id
    page = client.get(f"/admin/transfer/details/?id={transfer_id}").get_data(as_text=True)
    assert "转让合同原件已查验" in page and "HT-2024-001" in page
    assert "卖方甲" in page and "买方乙" in page


def test_seller_and_buyer_must_differ(app, client, login_as):
    login_as("clerk")
    ids = _parties(app)
    data = _form(app, ids, buyer=str(ids["seller"]))
    response = client.post("/admin/transfer/new/", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "invalid-feedback" in page
    assert "双方到场。" in page
    assert 'value="合同编号 HT-2024-001"' in page
    assert _count(app) == 0


def test_missing_or_bad_fields_are_refused(app, client, login_as):
    login_as("clerk")
    ids = _parties(app)
    future = (office_today() + timedelta(days=2)).isoformat()
    for overrides in (
        {"unit": ""},
        {"opened_on": future},
        {"opened_on": ""},
        {"items-0-kind": ""},
        {"items-0-note": "注" * 201},
    ):
        response = client.post("/admin/transfer/new/", data=_form(app, ids, **overrides))
        page = response.get_data(as_text=True)
        assert response.status_code == 200, overrides
        assert "invalid-feedback" in page, overrides
        assert "双方到场。" in page
    assert "之间的日期" in client.post(
        "/admin/transfer/new/", data=_form(app, ids, opened_on=future)
    ).get_data(as_text=True)
    assert _count(app) == 0


def test_a_second_open_transfer_of_a_unit_is_a_plain_message(app, client, login_as):
    login_as("clerk")
    ids = _parties(app)
    assert client.post("/admin/transfer/new/", data=_form(app, ids)).status_code == 302
    page = client.post("/admin/transfer/new/", data=_form(app, ids)).get_data(as_text=True)
    assert "与其他记录冲突" in page
    assert _count(app) == 1


def test_markup_and_emoji_are_shown_escaped(app, client, login_as):
    login_as("clerk")
    ids = _parties(app, seller_name="<script>alert(1)</script>卖🏠")
    data = _form(app, ids, notes="<b>粗</b>", **{"items-0-note": "<img src=x>🧾"})
    assert client.post("/admin/transfer/new/", data=data).status_code == 302
    with app.app_context():
        transfer_id = db.session.scalars(select(Transfer.id)).one()
    for url in ("/admin/transfer/", f"/admin/transfer/details/?id={transfer_id}"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;卖🏠" in page
    assert "&lt;img src=x&gt;🧾" in page and "<img src=x>" not in page


def test_search_by_party_name_and_room_and_filter_by_status(app, client, login_as):
    _make_transfer(app, seller_name="上官婉儿", buyer_name="买家一", room="6-0606")
    _make_transfer(app, seller_name="李卖方", buyer_name="买家二", room="7-0707")
    login_as("clerk")
    page = client.get("/admin/transfer/?search=上官").get_data(as_text=True)
    assert "上官婉儿" in page and "李卖方" not in page
    page = client.get("/admin/transfer/?search=买家二").get_data(as_text=True)
    assert "李卖方" in page and "上官婉儿" not in page
    page = client.get("/admin/transfer/?search=0606").get_data(as_text=True)
    assert "上官婉儿" in page and "李卖方" not in page
    # Filter 0 is the status.
    assert "上官婉儿" in client.get("/admin/transfer/?flt0_0=open").get_data(as_text=True)
    page = client.get("/admin/transfer/?flt0_0=completed").get_data(as_text=True)
    assert "上官婉儿" not in page


def test_owner_lookup_for_the_parties(app, client, login_as):
    _parties(app, seller_name="慕容复")
    login_as("clerk")
    response = client.get("/admin/transfer/ajax/lookup/?name=seller&query=慕容")
    assert response.status_code == 200
    assert [label for _id, label in response.get_json()] == ["慕容复"]


def test_export_for_the_supervisor_without_phones(app, client, login_as):
    _make_transfer(app, seller_name="东方卖家")
    with app.app_context():
        mobile = db.session.scalar(select(Owner.mobile).where(Owner.name == "东方卖家"))
    login_as("clerk")
    assert client.get("/admin/transfer/export/csv/").status_code == 403
    client.post("/logout")
    login_as("supervisor")
    response = client.get("/admin/transfer/export/csv/")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "东方卖家" in body and mobile not in body


def test_custodian_reads_but_does_not_open_transfers(app, client, login_as):
    transfer_id = _make_transfer(app)
    login_as("custodian")
    assert client.get(f"/admin/transfer/details/?id={transfer_id}").status_code == 200
    assert client.get("/admin/transfer/new/").status_code == 403
    assert client.get(f"/admin/transfer/edit/?id={transfer_id}").status_code == 403
