"""The property-right transfer workflow (产权转让): open, tick, complete, cancel.

Every function flushes and writes its access-log event in the caller's transaction; the
caller commits once. Races are settled by the database: the partial unique index
``uq_transfers_open_unit`` refuses a second open transfer, and a conditional UPDATE moves a
transfer out of ``open`` exactly once.
"""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.admin.people import User
from models.admin.reference import ReferenceItem, ReferenceList
from models.base import utcnow
from models.property.moves import MoveIn
from models.property.property import Owner, Ownership, ParkingSpace, ResidentCard, Unit, VehicleCard
from models.property.transfers import Transfer, TransferItem
from services.privacy import audit, consent

#: Items built one per card of the unit.
CARD_ITEMS = {"resident_card_returned", "vehicle_card_returned"}
PARKING_ITEM = "parking_returned"


class TransferError(Exception):
    """A refused step; ``message`` is shown to the user, nothing was changed."""

    message = _l("The transfer cannot be changed.")

    def __init__(self, message=None):
        super().__init__()
        if message is not None:
            self.message = message


class NotCurrentOwner(TransferError):
    message = _l("The seller is not the current owner of this unit.")


class AlreadyOpen(TransferError):
    message = _l("This unit already has an open transfer.")


class SameParty(TransferError):
    message = _l("The buyer must be someone other than the seller.")


class ReadOnly(TransferError):
    message = _l("This transfer is completed or cancelled and can no longer be changed.")


class ItemsOpen(TransferError):
    def __init__(self, items: list[TransferItem]):
        self.items = items
        labels = "、".join(item_label(i) for i in items)
        super().__init__(_l("Items still open: %(items)s", items=labels))


class MissingReason(TransferError):
    message = _l("A cancellation needs a reason.")


def _actor(user: User) -> audit.Actor:
    return audit.Actor(user.id, user.username, user.role_code)


def _log(session: Session, user: User, action: str, transfer: Transfer) -> None:
    audit.record(session, _actor(user), action, record_type="transfer", record_id=transfer.id)


def item_label(item: TransferItem) -> str:
    """The item's kind, with the card number for card items."""
    label = str(item.kind)
    card = item.resident_card or item.vehicle_card
    return f"{label} {card.card_no}" if card is not None else label


def _checklist_kinds(session: Session) -> list[ReferenceItem]:
    return list(
        session.scalars(
            select(ReferenceItem)
            .join(ReferenceList)
            .where(ReferenceList.code == "transfer_item", ReferenceItem.active.is_(True))
            .order_by(ReferenceItem.sort_order, ReferenceItem.id)
        )
    )


def sellers_parking(session: Session, unit: Unit, seller: Owner) -> list[ParkingSpace]:
    return list(
        session.scalars(
            select(ParkingSpace).where(
                ParkingSpace.unit_id == unit.id,
                ParkingSpace.owner_id == seller.id,
                ParkingSpace.tenure == "bought",
            )
        )
    )


def open_transfer(
    session: Session, user: User, unit: Unit, buyer: Owner, opened_on: date, *, notes=None
) -> Transfer:
    """Open a transfer of ``unit`` from its current owner to ``buyer`` with its checklist."""
    seller = unit.current_owner
    if seller is None:
        raise NotCurrentOwner()
    if seller.id == buyer.id:
        raise SameParty()
    transfer = Transfer(
        unit=unit,
        seller=seller,
        buyer=buyer,
        opened_on=opened_on,
        status="open",
        notes=notes,
        created_by_id=user.id,
    )
    resident = [c for c in unit.resident_cards if c.status == "active"]
    vehicle = [c for c in unit.vehicle_cards if c.status == "active"]
    has_parking = bool(sellers_parking(session, unit, seller))
    position = 0
    for kind in _checklist_kinds(session):
        if kind.code == "resident_card_returned":
            rows = [{"resident_card": c} for c in resident]
        elif kind.code == "vehicle_card_returned":
            rows = [{"vehicle_card": c} for c in vehicle]
        elif kind.code == PARKING_ITEM:
            rows = [{}] if has_parking else []
        else:
            rows = [{}]
        for extra in rows:
            position += 10
            transfer.items.append(TransferItem(kind=kind, position=position, **extra))
    try:
        with session.begin_nested():
            session.add(transfer)
            session.flush()
    except IntegrityError as exc:
        if "uq_transfers_open_unit" in str(exc.orig) or "transfers.unit_id" in str(exc.orig):
            raise AlreadyOpen() from None
        raise
    _log(session, user, "transfer_open", transfer)
    return transfer


def _require_open(transfer: Transfer) -> None:
    if transfer.status != "open":
        raise ReadOnly()


def _item(session: Session, transfer: Transfer, item_id: int) -> TransferItem:
    item = session.get(TransferItem, item_id)
    if item is None or item.transfer_id != transfer.id:
        raise TransferError(_l("No such checklist item."))
    return item


def tick_item(
    session: Session, user: User, transfer: Transfer, item_id: int, note: str | None = None
) -> TransferItem:
    """Mark an item done by ``user`` now, with an optional note (receipt number, amount).

    Only an open item is ticked: two people ticking the same item from pages opened at the
    same time would otherwise leave the second one's name and note over the first's.
    """
    _require_open(transfer)
    item = _item(session, transfer, item_id)
    ticked = session.execute(
        update(TransferItem)
        .where(TransferItem.id == item.id, TransferItem.done_at.is_(None))
        .values(
            done_at=utcnow(),
            done_by_id=user.id,
            note=(note or "").strip()[:200] or TransferItem.note,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(item)
    if not ticked:
        raise TransferError(
            _l("Someone ticked this item meanwhile; nothing was changed. Check it on the list.")
        )
    _log(session, user, "transfer_tick", transfer)
    return item


def untick_item(session: Session, user: User, transfer: Transfer, item_id: int) -> TransferItem:
    _require_open(transfer)
    item = _item(session, transfer, item_id)
    item.done_at = None
    item.done_by_id = None
    session.flush()
    _log(session, user, "transfer_untick", transfer)
    return item


def open_items(transfer: Transfer) -> list[TransferItem]:
    return [item for item in transfer.items if not item.is_done]


def _leave_open(session: Session, transfer: Transfer, **values) -> None:
    """Move the transfer out of ``open`` once; a concurrent second attempt is refused."""
    done = session.execute(
        update(Transfer)
        .where(Transfer.id == transfer.id, Transfer.status == "open")
        .values(version=Transfer.version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        raise ReadOnly()
    session.refresh(transfer)


def create_move_in(session: Session, user: User, transfer: Transfer, on: date) -> MoveIn:
    move_in = MoveIn(
        unit_id=transfer.unit_id,
        owner_id=transfer.buyer_id,
        transfer=transfer,
        moved_in_on=on,
        created_by_id=user.id,
    )
    session.add(move_in)
    session.flush()
    return move_in


def complete(session: Session, user: User, transfer: Transfer, on: date) -> MoveIn:
    """Complete the transfer on ``on``: ownership passes, the seller's cards and parking go,
    the buyer's move-in opens. Refused while any item is open."""
    _require_open(transfer)
    left = open_items(transfer)
    if left:
        raise ItemsOpen(left)
    _leave_open(session, transfer, status="completed", completed_on=on)
    closed = session.execute(
        update(Ownership)
        .where(
            Ownership.unit_id == transfer.unit_id,
            Ownership.owner_id == transfer.seller_id,
            Ownership.ended_on.is_(None),
        )
        .values(ended_on=on)
        .execution_options(synchronize_session=False)
    )
    if closed.rowcount != 1:
        raise NotCurrentOwner()
    session.add(
        Ownership(
            unit_id=transfer.unit_id,
            owner_id=transfer.buyer_id,
            started_on=on,
            created_by_id=user.id,
        )
    )
    for model in (ResidentCard, VehicleCard):
        session.execute(
            update(model)
            .where(model.unit_id == transfer.unit_id, model.status == "active")
            .values(status="deactivated", returned_on=on)
            .execution_options(synchronize_session=False)
        )
    session.execute(
        update(ParkingSpace)
        .where(
            ParkingSpace.unit_id == transfer.unit_id,
            ParkingSpace.owner_id == transfer.seller_id,
        )
        .values(tenure="free", unit_id=None, owner_id=None, version=ParkingSpace.version + 1)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    move_in = create_move_in(session, user, transfer, on)
    _log(session, user, "transfer_complete", transfer)
    session.expire_all()
    return move_in


def cancel(session: Session, user: User, transfer: Transfer, reason: str) -> Transfer:
    """Cancel with a reason; nothing else changes."""
    _require_open(transfer)
    reason = (reason or "").strip()
    if not reason:
        raise MissingReason()
    _leave_open(session, transfer, status="cancelled", cancel_reason=reason)
    _log(session, user, "transfer_cancel", transfer)
    return transfer


def new_buyer(
    session: Session,
    user: User,
    name: str,
    mobile: str | None = None,
    *,
    purpose: str,
    policy_version: str,
    office_id: int | None = None,
) -> Owner:
    """A buyer who is not yet an owner in the records, stored with the basis their data is
    kept on (the purchase contract, PIPL), like an owner entered on the owner form; in
    ``office_id`` (the unit's office) when given."""
    buyer = Owner(
        name=name.strip()[:50], mobile=(mobile or "").strip() or None, office_id=office_id
    )
    session.add(buyer)
    session.flush()
    consent.record(
        session,
        user,
        subject_type="owner",
        subject_id=buyer.id,
        basis="contract",
        purpose=purpose,
        policy_version=policy_version,
    )
    return buyer
