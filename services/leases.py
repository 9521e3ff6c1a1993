"""Ending a lease (move-out): the tenant's cards must be back and the fees settled."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.people import User
from models.property import Lease, ResidentCard
from services import audit


class LeaseError(Exception):
    message = _l("The lease cannot be ended.")

    def __init__(self, message=None):
        super().__init__()
        if message is not None:
            self.message = message


class CardsOut(LeaseError):
    def __init__(self, cards: list[ResidentCard]):
        self.cards = cards
        numbers = "、".join(c.card_no for c in cards)
        super().__init__(_l("The tenant's cards are not back yet: %(cards)s", cards=numbers))


class FeesOpen(LeaseError):
    message = _l("The tenant's fees are not settled yet.")


class NotActive(LeaseError):
    message = _l("This lease has already ended.")


class BeforeStart(LeaseError):
    message = _l("The move-out date is before the lease started.")


def cards_out(session: Session, lease: Lease) -> list[ResidentCard]:
    """The tenant's resident cards of the unit that are still active."""
    return list(
        session.scalars(
            select(ResidentCard).where(
                ResidentCard.unit_id == lease.unit_id,
                ResidentCard.tenant_id == lease.tenant_id,
                ResidentCard.status == "active",
            )
        )
    )


def end_lease(
    session: Session, user: User, lease: Lease, moved_out_on: date, *, fees_settled: bool
) -> Lease:
    """Close the lease as history: status ended, moved-out date set."""
    if lease.status != "active":
        raise NotActive()
    if moved_out_on < lease.starts_on:
        raise BeforeStart()
    out = cards_out(session, lease)
    if out:
        raise CardsOut(out)
    if not fees_settled:
        raise FeesOpen()
    done = session.execute(
        update(Lease)
        .where(Lease.id == lease.id, Lease.status == "active")
        .values(status="ended", moved_out_on=moved_out_on, version=Lease.version + 1)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        raise NotActive()
    session.refresh(lease)
    audit.record(
        session,
        audit.Actor(user.id, user.username, user.role_code),
        "lease_end",
        record_type="lease",
        record_id=lease.id,
    )
    return lease
