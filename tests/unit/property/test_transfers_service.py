"""The transfer workflow: state rules, atomic completion, whole history."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from extensions import db
from models.property.moves import MoveIn
from models.property.property import Owner, Ownership, ParkingSpace, ResidentCard, Unit, VehicleCard
from models.property.transfers import Transfer
from services.property import timeline, transfers
from tests.factories import make_user, ref_item


def make_unit_with_owner(session, owner_name="张三", started_on=date(2020, 1, 1)):
    unit = Unit(project_id=ref_item(session, "project").id, building="3栋", room="2-1502")
    owner = Owner(name=owner_name)
    session.add_all([unit, owner])
    session.flush()
    session.add(Ownership(unit=unit, owner=owner, started_on=started_on))
    session.flush()
    session.refresh(unit)
    return unit, owner


def add_cards(session, unit, prefix="R", parking_owner=None):
    session.add(
        ResidentCard(
            card_no=f"{prefix}1", unit=unit, holder_name="张三", issued_on=date(2020, 1, 2)
        )
    )
    session.add(
        VehicleCard(
            card_no=f"{prefix}V1",
            unit=unit,
            plate_no="粤B12345",
            holder_name="张三",
            issued_on=date(2020, 1, 2),
        )
    )
    if parking_owner is not None:
        session.add(
            ParkingSpace(
                code=f"B1-{prefix}", tenure="bought", unit_id=unit.id, owner_id=parking_owner.id
            )
        )
    session.flush()
    session.refresh(unit)


def tick_all(session, user, transfer):
    for item in list(transfer.items):
        transfers.tick_item(session, user, transfer, item.id, note="收据001")


@pytest.fixture
def s(app):
    with app.app_context():
        yield db.session
        db.session.rollback()


def test_checklist_has_one_item_per_card_and_parking_only_when_bought(s):
    clerk = make_user(s, "clerk")
    unit, seller = make_unit_with_owner(s)
    add_cards(s, unit, parking_owner=seller)
    buyer = Owner(name="李四")
    s.add(buyer)
    t = transfers.open_transfer(s, clerk, unit, buyer, date(2024, 1, 1))
    codes = [i.kind.code for i in t.items]
    assert codes.count("resident_card_returned") == 1
    assert codes.count("vehicle_card_returned") == 1
    assert codes.count("parking_returned") == 1
    assert t.seller_id == seller.id

    unit2 = Unit(project_id=unit.project_id, building="4栋", room="101")
    s.add(unit2)
    s.flush()
    s.add(Ownership(unit=unit2, owner=seller, started_on=date(2020, 1, 1)))
    s.flush()
    s.refresh(unit2)
    t2 = transfers.open_transfer(s, clerk, unit2, buyer, date(2024, 1, 1))
    codes2 = [i.kind.code for i in t2.items]
    assert "parking_returned" not in codes2
    assert "resident_card_returned" not in codes2


def test_no_completion_with_open_items(s):
    clerk = make_user(s, "clerk")
    unit, _ = make_unit_with_owner(s)
    buyer = Owner(name="李四")
    s.add(buyer)
    t = transfers.open_transfer(s, clerk, unit, buyer, date(2024, 1, 1))
    transfers.tick_item(s, clerk, t, t.items[0].id)
    with pytest.raises(transfers.ItemsOpen) as err:
        transfers.complete(s, clerk, t, date(2024, 2, 1))
    assert len(err.value.items) == len(t.items) - 1
    assert str(t.items[1].kind) in str(err.value.message)
    assert t.status == "open"
    assert unit.current_owner.name == "张三"


def test_no_second_open_transfer(s):
    clerk = make_user(s, "clerk")
    unit, _ = make_unit_with_owner(s)
    buyer = Owner(name="李四")
    s.add(buyer)
    transfers.open_transfer(s, clerk, unit, buyer, date(2024, 1, 1))
    with pytest.raises(transfers.AlreadyOpen):
        transfers.open_transfer(s, clerk, unit, buyer, date(2024, 1, 2))
    # the session is still usable and the first transfer stands
    assert s.scalar(select(func.count()).select_from(Transfer)) == 1


def test_no_transfer_without_a_current_owner_or_to_the_seller(s):
    clerk = make_user(s, "clerk")
    unit, seller = make_unit_with_owner(s)
    with pytest.raises(transfers.SameParty):
        transfers.open_transfer(s, clerk, unit, seller, date(2024, 1, 1))
    bare = Unit(project_id=unit.project_id, building="9栋", room="1")
    s.add(bare)
    s.flush()
    with pytest.raises(transfers.NotCurrentOwner):
        transfers.open_transfer(s, clerk, bare, seller, date(2024, 1, 1))


def test_completed_and_cancelled_are_read_only(s):
    clerk = make_user(s, "clerk")
    unit, _ = make_unit_with_owner(s)
    buyer = Owner(name="李四")
    s.add(buyer)
    t = transfers.open_transfer(s, clerk, unit, buyer, date(2024, 1, 1))
    with pytest.raises(transfers.MissingReason):
        transfers.cancel(s, clerk, t, "  ")
    transfers.cancel(s, clerk, t, "买方放弃")
    assert t.status == "cancelled"
    for call in (
        lambda: transfers.tick_item(s, clerk, t, t.items[0].id),
        lambda: transfers.untick_item(s, clerk, t, t.items[0].id),
        lambda: transfers.complete(s, clerk, t, date(2024, 2, 1)),
        lambda: transfers.cancel(s, clerk, t, "again"),
    ):
        with pytest.raises(transfers.ReadOnly):
            call()
    assert unit.current_owner.name == "张三"

    t2 = transfers.open_transfer(s, clerk, unit, buyer, date(2024, 3, 1))
    tick_all(s, clerk, t2)
    transfers.complete(s, clerk, t2, date(2024, 3, 5))
    with pytest.raises(transfers.ReadOnly):
        transfers.untick_item(s, clerk, t2, t2.items[0].id)
    with pytest.raises(transfers.ReadOnly):
        transfers.cancel(s, clerk, t2, "too late")


def test_completion_is_atomic(app, s, monkeypatch):
    clerk = make_user(s, "clerk")
    unit, seller = make_unit_with_owner(s)
    add_cards(s, unit, parking_owner=seller)
    buyer = Owner(name="李四")
    s.add(buyer)
    t = transfers.open_transfer(s, clerk, unit, buyer, date(2024, 1, 1))
    tick_all(s, clerk, t)
    s.commit()
    transfer_id, unit_id = t.id, unit.id

    def boom(*args, **kwargs):
        raise RuntimeError("move-in failed")

    monkeypatch.setattr(transfers, "create_move_in", boom)
    with pytest.raises(RuntimeError, match="move-in failed"):
        transfers.complete(s, clerk, t, date(2024, 2, 1))
    s.rollback()

    assert s.get(Transfer, transfer_id).status == "open"
    owners = s.scalars(select(Ownership).where(Ownership.unit_id == unit_id)).all()
    assert [(o.owner_id, o.ended_on) for o in owners] == [(seller.id, None)]
    statuses = {c.status for c in s.scalars(select(ResidentCard))} | {
        c.status for c in s.scalars(select(VehicleCard))
    }
    assert statuses == {"active"}
    assert s.scalar(select(ParkingSpace)).owner_id == seller.id
    assert s.scalar(select(func.count()).select_from(MoveIn)) == 0


def test_two_transfers_leave_three_owners_on_the_timeline(s):
    clerk = make_user(s, "clerk")
    unit, first = make_unit_with_owner(s, "张三", date(2019, 5, 1))
    add_cards(s, unit, "A", parking_owner=first)
    second, third = Owner(name="李四"), Owner(name="王五")
    s.add_all([second, third])
    s.flush()

    t1 = transfers.open_transfer(s, clerk, unit, second, date(2022, 1, 1))
    tick_all(s, clerk, t1)
    move_in = transfers.complete(s, clerk, t1, date(2022, 1, 10))
    assert move_in.owner_id == second.id and move_in.status == "open"
    assert {c.status for c in s.scalars(select(ResidentCard))} == {"deactivated"}
    space = s.scalar(select(ParkingSpace))
    assert (space.owner_id, space.unit_id, space.tenure) == (None, None, "free")

    s.refresh(unit)
    add_cards(s, unit, "B")
    t2 = transfers.open_transfer(s, clerk, unit, third, date(2024, 6, 1))
    assert t2.seller_id == second.id
    assert "parking_returned" not in [i.kind.code for i in t2.items]
    tick_all(s, clerk, t2)
    transfers.complete(s, clerk, t2, date(2024, 6, 20))

    s.refresh(unit)
    assert unit.current_owner.id == third.id
    rows = timeline.owners(s, unit.id)
    assert [(r.owner.name, r.started_on, r.ended_on) for r in rows] == [
        ("张三", date(2019, 5, 1), date(2022, 1, 10)),
        ("李四", date(2022, 1, 10), date(2024, 6, 20)),
        ("王五", date(2024, 6, 20), None),
    ]
    events = timeline.unit_timeline(s, unit.id)
    kinds = [e.kind for e in events]
    assert kinds.count("ownership_start") == 3
    assert kinds.count("ownership_end") == 2
    assert kinds.count("transfer_completed") == 2
    assert [e.on for e in events] == sorted(e.on for e in events)
    assert all(e.by for e in events if e.kind == "transfer_completed")
    assert s.scalar(select(func.count()).select_from(MoveIn)) == 2


def test_an_item_ticked_meanwhile_keeps_its_first_tick(s):
    first, second = make_user(s, "clerk"), make_user(s, "clerk")
    unit, _ = make_unit_with_owner(s)
    buyer = Owner(name="李四")
    s.add(buyer)
    t = transfers.open_transfer(s, first, unit, buyer, date(2024, 1, 1))
    item_id = t.items[0].id
    transfers.tick_item(s, first, t, item_id, note="收据001")
    with pytest.raises(transfers.TransferError) as refused:
        transfers.tick_item(s, second, t, item_id, note="收据002")
    assert "已被他人勾选" in str(refused.value.message)
    item = next(i for i in t.items if i.id == item_id)
    assert (item.done_by_id, item.note) == (first.id, "收据001")
