"""The transfer desk, lease end, household and unit timeline pages, per role."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from extensions import db
from models.privacy.privacy import ConsentRecord
from models.property.property import HouseholdMember, Lease, Owner, ResidentCard, Tenant, Unit
from models.property.transfers import Transfer, TransferItem
from models.shared.approvals import ChangeRequest
from tests.factories import ref_item
from tests.unit.property.test_transfers_service import add_cards, make_unit_with_owner

# Fixed dates below were written for this instant (tests/conftest.py WRITTEN_AT).
pytestmark = pytest.mark.instant()


@pytest.fixture
def unit_id(app):
    with app.app_context():
        unit, seller = make_unit_with_owner(db.session)
        add_cards(db.session, unit, parking_owner=seller)
        db.session.commit()
        return unit.id


def _items(app, transfer_id):
    with app.app_context():
        return db.session.scalars(
            select(TransferItem.id).where(TransferItem.transfer_id == transfer_id)
        ).all()


def test_clerk_works_a_transfer_through_to_the_timeline(app, client, login_as, unit_id):
    login_as("clerk")
    page = client.get(f"/admin/transfer-desk/open/{unit_id}/").get_data(as_text=True)
    assert "张三" in page
    response = client.post(
        f"/admin/transfer-desk/open/{unit_id}/",
        data={"buyer_name": "李四", "buyer_mobile": "13800000001", "opened_on": "2024-05-01"},
    )
    assert response.status_code == 302
    with app.app_context():
        transfer_id = db.session.scalar(select(Transfer.id))
        buyer_id = db.session.get(Transfer, transfer_id).buyer_id
        # The new buyer is stored with the basis their data is kept on: the contract.
        bases = db.session.scalars(
            select(ConsentRecord.basis).where(
                ConsentRecord.subject_type == "owner", ConsentRecord.subject_id == buyer_id
            )
        ).all()
        assert bases == ["contract"]
    item_ids = _items(app, transfer_id)
    assert len(item_ids) == 15  # 12 fixed items, one per card (2), parking

    # a second open transfer of the unit is refused with a clear message
    again = client.post(
        f"/admin/transfer-desk/open/{unit_id}/",
        data={"buyer_name": "王五", "opened_on": "2024-05-02"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "该房屋已有办理中的产权转让" in again

    first, rest = item_ids[:5], item_ids[5:]
    for item_id in first:
        client.post(
            f"/admin/transfer-desk/{transfer_id}/items/{item_id}/tick", data={"note": "收据A"}
        )
    page = client.post(
        f"/admin/transfer-desk/{transfer_id}/complete",
        data={"completed_on": "2024-05-20"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert 'id="items-left"' in page
    with app.app_context():
        assert db.session.get(Transfer, transfer_id).status == "open"

    for item_id in rest:  # a second sitting
        client.post(f"/admin/transfer-desk/{transfer_id}/items/{item_id}/tick", data={})
    page = client.post(
        f"/admin/transfer-desk/{transfer_id}/complete",
        data={"completed_on": "2024-05-20"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert 'id="items-left"' not in page and 'id="read-only"' in page

    timeline = client.get(f"/admin/unit-timeline/{unit_id}/").get_data(as_text=True)
    owners_table = timeline.split('id="owners"')[1].split("</table>")[0]
    assert "李四" in owners_table and "2024-05-20" in owners_table
    assert "event-transfer_completed" in timeline


def test_completed_and_cancelled_transfers_are_read_only_on_the_page(
    app, client, login_as, unit_id
):
    login_as("supervisor")
    client.post(
        f"/admin/transfer-desk/open/{unit_id}/",
        data={"buyer_name": "李四", "opened_on": "2024-05-01"},
    )
    with app.app_context():
        transfer_id = db.session.scalar(select(Transfer.id))
    item_id = _items(app, transfer_id)[0]
    page = client.post(
        f"/admin/transfer-desk/{transfer_id}/cancel", data={"reason": ""}, follow_redirects=True
    ).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Transfer, transfer_id).status == "open"
    client.post(f"/admin/transfer-desk/{transfer_id}/cancel", data={"reason": "买方放弃"})
    page = client.post(
        f"/admin/transfer-desk/{transfer_id}/items/{item_id}/tick",
        data={},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert 'id="read-only"' in page and "/tick" not in page
    with app.app_context():
        assert db.session.get(TransferItem, item_id).done_at is None
        assert db.session.get(Transfer, transfer_id).cancel_reason == "买方放弃"


def test_seller_must_be_current_owner(app, client, login_as, unit_id):
    with app.app_context():
        seller_id = db.session.scalar(select(Owner.id).where(Owner.name == "张三"))
    login_as("clerk")
    page = client.post(
        f"/admin/transfer-desk/open/{unit_id}/",
        data={"buyer_id": str(seller_id), "opened_on": "2024-05-01"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "买方不能与卖方为同一人" in page
    with app.app_context():
        assert db.session.scalar(select(Transfer.id)) is None


def test_lease_end_page_refuses_while_cards_are_out(app, client, login_as, unit_id):
    with app.app_context():
        tenant = Tenant(name="赵六")
        lease = Lease(unit_id=unit_id, tenant=tenant, starts_on=date(2023, 1, 1), status="active")
        db.session.add(lease)
        db.session.flush()
        db.session.add(
            ResidentCard(
                card_no="T9",
                unit_id=unit_id,
                holder_name="赵六",
                tenant=tenant,
                issued_on=date(2023, 1, 2),
            )
        )
        db.session.commit()
        lease_id = lease.id
    login_as("clerk")
    assert "T9" in client.get(f"/admin/transfer-desk/lease/{lease_id}/end").get_data(as_text=True)
    client.post(
        f"/admin/transfer-desk/lease/{lease_id}/end",
        data={"moved_out_on": "2024-01-01", "fees_settled": "y"},
    )
    with app.app_context():
        assert db.session.get(Lease, lease_id).status == "active"
        db.session.scalar(
            select(ResidentCard).where(ResidentCard.card_no == "T9")
        ).status = "returned"
        db.session.commit()
    response = client.post(
        f"/admin/transfer-desk/lease/{lease_id}/end",
        data={"moved_out_on": "2024-01-01", "fees_settled": "y"},
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Lease, lease_id).status == "ended"


def test_household_change_and_members_on_a_date(app, client, login_as, unit_id):
    with app.app_context():
        birth = ref_item(db.session, "household_change_reason", "birth").id
        db.session.commit()
    login_as("clerk")
    url = f"/admin/transfer-desk/household/{unit_id}/"
    response = client.post(
        url, data={"name": "张小宝", "reason_id": str(birth), "effective_on": "2022-03-01"}
    )
    assert response.status_code == 302
    assert "张小宝" in client.get(url + "?on=2022-03-01").get_data(as_text=True)
    assert "张小宝" not in client.get(url + "?on=2022-02-28").get_data(as_text=True)


@pytest.mark.parametrize(
    "role, desk, timeline",
    [
        ("clerk", 200, 200),
        ("supervisor", 200, 200),
        ("custodian", 403, 200),
        ("admin", 403, 200),
        ("region_manager", 403, 403),
    ],
)
def test_roles(client, login_as, unit_id, role, desk, timeline):
    login_as(role)
    assert client.get("/admin/transfer-desk/").status_code == desk
    assert client.get(f"/admin/transfer-desk/open/{unit_id}/").status_code == desk
    assert client.get(f"/admin/transfer-desk/household/{unit_id}/").status_code == desk
    assert client.get(f"/admin/unit-timeline/{unit_id}/").status_code == timeline


def test_anonymous_goes_to_login(client, unit_id):
    response = client.get(f"/admin/unit-timeline/{unit_id}/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_timeline_view_is_in_the_access_log(app, client, login_as, unit_id):
    from models.privacy.audit import AccessEvent

    login_as("custodian")
    assert client.get(f"/admin/unit-timeline/{unit_id}/").status_code == 200
    with app.app_context():
        event = db.session.scalar(
            select(AccessEvent).where(AccessEvent.record_type == "unit").order_by(AccessEvent.seq)
        )
        assert (event.action, event.record_id, event.role) == ("details", unit_id, "custodian")


def test_a_clerks_removal_at_the_desk_is_submitted_for_approval(app, client, login_as, unit_id):
    with app.app_context():
        moved = ref_item(db.session, "household_change_reason", "moved_out").id
        unit = db.session.get(Unit, unit_id)
        member = HouseholdMember(unit=unit, name="张小宝", joined_on=date(2020, 1, 1))
        db.session.add(member)
        db.session.commit()
        member_id = member.id
    login_as("clerk")
    page = client.post(
        f"/admin/transfer-desk/household/{unit_id}/",
        data={"member_id": str(member_id), "reason_id": str(moved), "effective_on": "2024-01-01"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "submitted for approval" in page or "提交审批" in page
    with app.app_context():
        assert db.session.get(HouseholdMember, member_id).left_on is None
        assert db.session.scalar(select(ChangeRequest.status)) == "pending"
