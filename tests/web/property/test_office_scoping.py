"""The transfer desk, move-ins, lease end, household and unit timeline show only the
account's offices (issue 18): office B's units, transfers, move-ins and leases never show
to office A's staff, and each by id is a 404 with a ``not_found`` access event."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from extensions import db
from models.property.moves import MoveIn
from models.property.property import Lease, Owner, Ownership, Tenant, Unit
from models.property.transfers import Transfer
from services.property import leases
from tests.factories import PASSWORD, make_user, ref_item
from tests.web.second_office import MARK_B, make_office_b, not_found_logged

pytestmark = pytest.mark.instant()


@pytest.fixture
def office_b(app):
    """Office B's unit with its owner, an open transfer, an open move-in and a lease."""
    with app.app_context():
        office = make_office_b(db.session)
        on = {"office_id": office.id}
        unit = Unit(project=office.projects[0], building="9栋", room="9-901", **on)
        seller = Owner(name=f"{MARK_B}卖方", **on)
        buyer = Owner(name=f"{MARK_B}买方", **on)
        tenant = Tenant(name=f"{MARK_B}租户", **on)
        db.session.add_all([unit, seller, buyer, tenant])
        db.session.flush()
        db.session.add(Ownership(unit=unit, owner=seller, started_on=date(2020, 1, 1), **on))
        transfer = Transfer(unit=unit, seller=seller, buyer=buyer, opened_on=date(2024, 5, 1), **on)
        move_in = MoveIn(unit=unit, owner=buyer, moved_in_on=date(2024, 5, 2), **on)
        lease = Lease(unit=unit, tenant=tenant, starts_on=date(2024, 1, 1), status="active", **on)
        db.session.add_all([transfer, move_in, lease])
        staff = make_user(db.session, "clerk", offices=[office], full_name=f"{MARK_B}文员")
        db.session.commit()
        return {
            "office": office.id,
            "unit": unit.id,
            "owner": buyer.id,
            "transfer": transfer.id,
            "move_in": move_in.id,
            "lease": lease.id,
            "staff": staff.id,
        }


def test_the_desk_lists_only_the_accounts_offices(app, client, login_as, office_b):
    login_as("clerk")
    page = client.get("/admin/transfer-desk/").get_data(as_text=True)
    assert f"{MARK_B}卖方" not in page and f"{MARK_B}买方" not in page
    assert f"/move-in/{office_b['move_in']}/" not in page


@pytest.mark.parametrize(
    "path",
    [
        "/admin/transfer-desk/{transfer}/",
        "/admin/transfer-desk/move-in/{move_in}/",
        "/admin/transfer-desk/open/{unit}/",
        "/admin/transfer-desk/lease/{lease}/end",
        "/admin/transfer-desk/household/{unit}/",
        "/admin/unit-timeline/{unit}/",
    ],
)
def test_another_offices_record_is_not_found_and_logged(app, client, login_as, office_b, path):
    login_as("supervisor")
    path = path.format(**office_b)
    response = client.get(path)
    assert response.status_code == 404
    assert MARK_B not in response.get_data(as_text=True)
    assert not_found_logged(app, path)


def test_no_step_reaches_another_offices_records(app, client, login_as, office_b):
    login_as("clerk")
    transfer, move_in = office_b["transfer"], office_b["move_in"]
    for path, data in (
        (f"/admin/transfer-desk/{transfer}/cancel", {"reason": "试图取消"}),
        (f"/admin/transfer-desk/{transfer}/complete", {"completed_on": "2024-06-01"}),
        (f"/admin/transfer-desk/move-in/{move_in}/items/form_done", {"value": "1"}),
        (f"/admin/transfer-desk/move-in/{move_in}/finish", {}),
        (f"/admin/transfer-desk/lease/{office_b['lease']}/end", {"moved_out_on": "2024-06-01"}),
    ):
        assert client.post(path, data=data).status_code == 404, path
    with app.app_context():
        assert db.session.get(Transfer, transfer).status == "open"
        assert not db.session.get(MoveIn, move_in).form_done
        assert db.session.get(Lease, office_b["lease"]).status == "active"


def test_another_offices_owner_is_no_buyer(app, client, login_as, office_b):
    with app.app_context():
        unit = Unit(project=ref_item(db.session, "project"), building="1栋", room="1-101")
        seller = Owner(name="本部卖方")
        db.session.add_all([unit, seller])
        db.session.flush()
        db.session.add(Ownership(unit=unit, owner=seller, started_on=date(2020, 1, 1)))
        db.session.commit()
        unit_id = unit.id
    login_as("clerk")
    page = client.post(
        f"/admin/transfer-desk/open/{unit_id}/",
        data={"buyer_id": office_b["owner"], "opened_on": "2024-05-01"},
    ).get_data(as_text=True)
    assert "请选择已有业主或填写新买方" in page
    with app.app_context():
        assert db.session.scalar(select(Transfer.id).where(Transfer.unit_id == unit_id)) is None


def test_the_group_admin_sees_every_office(app, client, login_as, office_b):
    login_as("admin")
    assert client.get(f"/admin/unit-timeline/{office_b['unit']}/").status_code == 200


def test_intake_staff_are_of_the_accounts_offices(app, office_b):
    with app.app_context():
        mine = make_user(db.session, "clerk", full_name="本部文员")
        names = {u.full_name for u in db.session.scalars(leases.intake_staff_query(mine))}
        assert "本部文员" in names and f"{MARK_B}文员" not in names


def test_a_new_buyer_belongs_to_the_units_office(app, client, office_b):
    with app.app_context():
        from models.admin.offices import Office

        offices = list(db.session.scalars(select(Office).order_by(Office.id)))
        both = make_user(db.session, "clerk", offices=offices)
        db.session.commit()
        username = both.username
    client.post("/login", data={"username": username, "password": PASSWORD})
    with app.app_context():
        db.session.get(Transfer, office_b["transfer"]).status = "cancelled"
        db.session.commit()
    response = client.post(
        f"/admin/transfer-desk/open/{office_b['unit']}/",
        data={"buyer_name": "新买方", "opened_on": "2024-06-01"},
    )
    assert response.status_code == 302
    with app.app_context():
        buyer = db.session.scalar(select(Owner).where(Owner.name == "新买方"))
        assert buyer.office_id == office_b["office"]
