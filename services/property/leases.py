"""Leases at the desk: the intake that makes a lease active, and ending it (move-out).

Intake (DOMAIN.md, "Lease or sublet"): both parties come to the office, the original contract
is seen (and by whom) and a copy kept, the tenant fills in the move-in form and pays the fees.
Until all of that is recorded the lease is ``registering`` (being registered), not active;
``settle_status`` is the one place that decides. Moving out closes an active lease; a lease
still being registered has no tenant living there, so it is not moved out of: a letting that
falls through is deleted by a supervisor instead.
"""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, inspect, select, update
from sqlalchemy.orm import Session

from models.admin.people import Role, User
from models.property.property import Lease, ResidentCard
from services.privacy import audit
from services.shared.office_scope import colleagues_clause


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


class StillRegistering(LeaseError):
    message = _l(
        "This lease is still being registered: nobody has moved in, so there is no move-out. "
        "Complete its intake, or ask a supervisor to delete it if the letting fell through."
    )


class UnitLet(LeaseError):
    message = _l(
        "The unit already has a lease in force. End it at the move-out desk before this "
        "lease can become active; until then this one stays being registered."
    )


#: Roles whose accounts work the desk and may be named as having seen the original.
INTAKE_ROLES = ("clerk", "supervisor")

#: The intake of a lease, in the order the desk records it: (attribute, label).
INTAKE = (
    ("both_parties_came_on", _l("Date both parties came")),
    ("original_seen_by", _l("Who saw the original contract")),
    ("contract_seen", _l("Contract original seen")),
    ("contract_copy_kept", _l("Contract copy kept")),
    ("move_in_form_done", _l("Move-in form filled in")),
    ("fees_paid", _l("Move-in fees paid")),
)


def intake_staff_query(user: User | None = None) -> Select:
    """The active desk accounts that may be named as having seen the original, by name;
    with ``user``, only those working in one of ``user``'s offices."""
    query = (
        select(User)
        .join(Role, Role.id == User.role_id)
        .where(Role.code.in_(INTAKE_ROLES), User.active.is_(True))
        .order_by(User.full_name, User.id)
    )
    if user is not None:
        query = query.where(colleagues_clause(user))
    return query


def _recorded(lease: Lease, attribute: str) -> bool:
    if attribute == "original_seen_by":
        # A form sets the relation, a script may set only the id: either records it.
        return lease.original_seen_by is not None or lease.original_seen_by_id is not None
    return bool(getattr(lease, attribute))


def intake_missing(lease: Lease) -> list[str]:
    """Labels of the intake items not recorded yet, in the desk's order; empty when complete."""
    return [str(label) for attribute, label in INTAKE if not _recorded(lease, attribute)]


def _ticked_now(lease: Lease, attribute: str) -> bool:
    """True when ``attribute`` was set true in this unit of work (a new lease, or a tick)."""
    state = inspect(lease)
    if state.transient or state.pending:
        return bool(getattr(lease, attribute))
    return True in state.attrs[attribute].history.added


def settle_status(session: Session, lease: Lease) -> str:
    """Set and return the lease's status: ``active`` when its intake is complete, else
    ``registering``; an ended lease stays ended. Raises UnitLet rather than make a second
    lease of the unit active (the partial unique index would refuse it anyway)."""
    if lease.status == "ended":
        return lease.status
    if intake_missing(lease):
        lease.status = "registering"
        return lease.status
    unit_id = lease.unit.id if lease.unit is not None else lease.unit_id
    others = select(Lease.id).where(Lease.unit_id == unit_id, Lease.status == "active")
    if lease.id is not None:
        others = others.where(Lease.id != lease.id)
    with session.no_autoflush:
        other = session.scalar(others.limit(1))
    if other is not None:
        raise UnitLet()
    lease.status = "active"
    return lease.status


def record_intake(session: Session, user: User | None, lease: Lease) -> str:
    """After the desk creates or edits a lease: when "original seen" is ticked now and no one
    is named, ``user`` (a desk account) is the one who saw it; then settle the status."""
    if (
        user is not None
        and lease.original_seen_by is None
        and lease.original_seen_by_id is None
        and _ticked_now(lease, "contract_seen")
        and user.role_code in INTAKE_ROLES
        and user.active
    ):
        lease.original_seen_by = user
    return settle_status(session, lease)


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
    """Close an active lease as history: status ended, moved-out date set."""
    if lease.status == "registering":
        raise StillRegistering()
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
