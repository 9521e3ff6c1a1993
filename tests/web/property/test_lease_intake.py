"""Lease intake through the panel: a lease is registered over two sittings and becomes active
only when its intake is complete (services/property/leases.py has the rule)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from extensions import db
from models.property.property import Lease
from tests.factories import make_user
from tests.web.property.test_property_views import make_tenant, make_unit

pytestmark = pytest.mark.day_sensitive


def _first_sitting(app, today) -> dict:
    with app.app_context():
        unit, tenant = make_unit(db.session), make_tenant(db.session, name="马租户")
        db.session.commit()
        return {
            "unit": str(unit.id),
            "tenant": str(tenant.id),
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=364)).isoformat(),
            "management_payer": "owner",
            "water_payer": "tenant",
            "electricity_payer": "tenant",
            "gas_payer": "tenant",
        }


def _lease(app) -> Lease:
    with app.app_context():
        lease = db.session.scalars(select(Lease)).one()
        db.session.expunge(lease)
        return lease


def test_a_lease_is_active_only_after_its_intake_is_complete(app, client, login_as, today):
    clerk_id = login_as("clerk")
    data = _first_sitting(app, today)
    assert client.post("/admin/lease/new/", data=data).status_code == 302
    lease = _lease(app)
    assert lease.status == "registering"
    details = client.get(f"/admin/lease/details/?id={lease.id}").get_data(as_text=True)
    assert 'id="intake-missing"' in details
    for missing in ("双方到场日期", "合同原件查验人", "租赁合同原件已查验"):
        assert missing in details
    assert "办理中" in details
    # Ending a lease nobody moved into is refused: the desk says what is missing instead.
    page = client.get(f"/admin/transfer-desk/lease/{lease.id}/end").get_data(as_text=True)
    assert 'id="still-registering"' in page and 'id="lease-end"' not in page

    # The second sitting: both parties came, everything ticked; the clerk saw the original.
    second = {
        **data,
        "both_parties_came_on": today.isoformat(),
        "contract_seen": "y",
        "contract_copy_kept": "y",
        "move_in_form_done": "y",
        "fees_paid": "y",
    }
    response = client.post(f"/admin/lease/edit/?id={lease.id}", data=second)
    assert response.status_code == 302, response.get_data(as_text=True)
    lease = _lease(app)
    assert (lease.status, lease.original_seen_by_id) == ("active", clerk_id)
    details = client.get(f"/admin/lease/details/?id={lease.id}").get_data(as_text=True)
    assert "登记事项已齐全" in details


def test_unticking_an_item_puts_the_lease_back_to_being_registered(app, client, login_as, today):
    login_as("clerk")
    data = {
        **_first_sitting(app, today),
        "both_parties_came_on": today.isoformat(),
        **dict.fromkeys(("contract_seen", "contract_copy_kept", "move_in_form_done"), "y"),
        "fees_paid": "y",
    }
    assert client.post("/admin/lease/new/", data=data).status_code == 302
    lease = _lease(app)
    assert lease.status == "active"
    del data["fees_paid"]
    assert client.post(f"/admin/lease/edit/?id={lease.id}", data=data).status_code == 302
    assert _lease(app).status == "registering"


def test_only_a_desk_account_can_be_named_as_having_seen_the_original(app, client, login_as, today):
    clerk_id = login_as("clerk")
    with app.app_context():
        admin = make_user(db.session, "admin")
        db.session.commit()
        admin_id = admin.id
    form = client.get("/admin/lease/new/").get_data(as_text=True)
    assert f'value="{clerk_id}"' in form and f'value="{admin_id}"' not in form
    # A crafted post naming the admin names nobody, so the clerk who ticked it is recorded.
    data = {**_first_sitting(app, today), "contract_seen": "y", "original_seen_by": str(admin_id)}
    assert client.post("/admin/lease/new/", data=data).status_code == 302
    assert _lease(app).original_seen_by_id == clerk_id


def test_a_second_lease_of_a_let_unit_stays_being_registered_with_a_reason(
    app, client, login_as, today
):
    login_as("clerk")
    complete = {
        "both_parties_came_on": today.isoformat(),
        **dict.fromkeys(
            ("contract_seen", "contract_copy_kept", "move_in_form_done", "fees_paid"), "y"
        ),
    }
    data = {**_first_sitting(app, today), **complete}
    assert client.post("/admin/lease/new/", data=data).status_code == 302
    with app.app_context():
        other = make_tenant(db.session, name="牛租户")
        db.session.commit()
        data["tenant"] = str(other.id)
    response = client.post("/admin/lease/new/", data=data, follow_redirects=True)
    assert "该房屋已有生效中的租赁" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Lease.status)).all() == ["active"]
