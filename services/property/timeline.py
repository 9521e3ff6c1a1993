"""A unit's timeline: owners, leases, household changes, cards, transfers, move-ins and
paper files in date order, each with who recorded it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from models.admin.people import User
from models.archive.archives import ArchiveFile
from models.privacy.audit import AccessEvent
from models.property.moves import HouseholdChange, MoveIn
from models.property.property import Lease, Ownership, ResidentCard, VehicleCard
from models.property.transfers import Transfer

#: Event kind -> label; the order also settles events of the same day.
KINDS = {
    "ownership_end": _l("Ownership ended"),
    "transfer_opened": _l("Transfer opened"),
    "transfer_completed": _l("Transfer completed"),
    "transfer_cancelled": _l("Transfer cancelled"),
    "ownership_start": _l("Ownership started"),
    "move_in": _l("Move-in opened"),
    "lease_registering": _l("Lease being registered"),
    "lease_start": _l("Lease started"),
    "lease_end": _l("Lease ended (moved out)"),
    "household_added": _l("Household member added"),
    "household_removed": _l("Household member removed"),
    "card_issued": _l("Card issued"),
    "card_back": _l("Card returned or deactivated"),
    "archive_file": _l("Paper file registered"),
}
_RANK = {kind: n for n, kind in enumerate(KINDS)}


@dataclass(frozen=True)
class Event:
    on: date
    kind: str
    subject: str
    by: str | None

    @property
    def label(self) -> str:
        return str(KINDS[self.kind])


def owners(session: Session, unit_id: int) -> list[Ownership]:
    """Every ownership of the unit, oldest first."""
    return list(
        session.scalars(
            select(Ownership)
            .options(joinedload(Ownership.owner))
            .where(Ownership.unit_id == unit_id)
            .order_by(Ownership.started_on, Ownership.id)
        )
    )


def _all(session: Session, model, unit_id: int, *options):
    return session.scalars(select(model).options(*options).where(model.unit_id == unit_id)).all()


def _closers(session: Session, transfer_ids: list[int]) -> dict[int, int | None]:
    if not transfer_ids:
        return {}
    rows = session.execute(
        select(AccessEvent.record_id, AccessEvent.user_id).where(
            AccessEvent.record_type == "transfer",
            AccessEvent.record_id.in_(transfer_ids),
            AccessEvent.action.in_(("transfer_complete", "transfer_cancel")),
        )
    ).all()
    return {record_id: user_id for record_id, user_id in rows}


def unit_timeline(session: Session, unit_id: int) -> list[Event]:
    """All recorded steps of a unit in date order."""
    raw: list[tuple[date, str, str, int | None]] = []
    transfers = _all(
        session, Transfer, unit_id, joinedload(Transfer.seller), joinedload(Transfer.buyer)
    )
    # Who closed a transfer is in the access log, written in the same transaction.
    closers = _closers(session, [t.id for t in transfers])
    for o in owners(session, unit_id):
        raw.append((o.started_on, "ownership_start", o.owner.name, o.created_by_id))
        if o.ended_on:
            raw.append((o.ended_on, "ownership_end", o.owner.name, o.created_by_id))
    for t in transfers:
        subject = f"{t.seller.name} → {t.buyer.name}"
        raw.append((t.opened_on, "transfer_opened", subject, t.created_by_id))
        if t.status == "completed" and t.completed_on:
            raw.append((t.completed_on, "transfer_completed", subject, closers.get(t.id)))
        elif t.status == "cancelled":
            note = f"{subject}: {t.cancel_reason or ''}"
            raw.append((t.updated_at.date(), "transfer_cancelled", note, closers.get(t.id)))
    for m in _all(session, MoveIn, unit_id, joinedload(MoveIn.owner)):
        raw.append((m.moved_in_on, "move_in", m.owner.name, m.created_by_id))
    for lease in _all(session, Lease, unit_id, joinedload(Lease.tenant)):
        if lease.status == "registering":
            # Not in force yet: the day its registration began, not a start.
            on = lease.both_parties_came_on or lease.starts_on
            raw.append((on, "lease_registering", lease.tenant.name, lease.created_by_id))
            continue
        raw.append((lease.starts_on, "lease_start", lease.tenant.name, lease.created_by_id))
        if lease.moved_out_on:
            raw.append((lease.moved_out_on, "lease_end", lease.tenant.name, lease.created_by_id))
    for h in _all(session, HouseholdChange, unit_id, joinedload(HouseholdChange.reason)):
        subject = f"{h.member_name} ({h.reason})" if h.reason else h.member_name
        raw.append((h.effective_on, f"household_{h.kind}", subject, h.recorded_by_id))
    for model in (ResidentCard, VehicleCard):
        for c in _all(session, model, unit_id):
            raw.append(
                (c.issued_on, "card_issued", f"{c.card_no} {c.holder_name}", c.created_by_id)
            )
            if c.returned_on:
                raw.append((c.returned_on, "card_back", c.card_no, c.created_by_id))
    for f in _all(session, ArchiveFile, unit_id):
        raw.append((f.created_at.date(), "archive_file", f"{f.code} {f.title}", f.created_by_id))

    ids = {row[3] for row in raw if row[3]}
    names = (
        dict(session.execute(select(User.id, User.full_name).where(User.id.in_(ids))).all())
        if ids
        else {}
    )
    raw.sort(key=lambda row: (row[0], _RANK[row[1]]))
    return [Event(on, kind, subject, names.get(by)) for on, kind, subject, by in raw]
