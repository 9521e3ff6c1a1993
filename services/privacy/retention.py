"""The retention review: every kind of record is kept for a period, then anonymised, cleared
or (the access log) deleted, in a batch one person asks for and another approves.

Each kind counts its period from its own day: a welcome card never signed from the last
contact, a past owner from the end of the last ownership, a tenant from the end of the last
lease, a dealer never signed from the last visit, a reception's observation notes from the
reception, an access-log event from the event. The kinds, their periods (the admin's
setting) and the policy's reasons are services/privacy/retention_periods.py.

What is never touched: a current owner (an open ownership, a parking space, an open
transfer), a tenant with a lease not ended or a card still active, a signed dealer, a signed
card, and what is already anonymised or cleared.

A batch remembers its kind and cut-off date; the run recounts with that cut-off, so what
became active meanwhile is spared. A batch of customers (welcome cards, receptions, owners,
tenants) covers the offices of the person who asked for it (every office for a group role):
only those records are counted and anonymised, it shows to the staff of those offices, and
only someone who sees all of them approves it. Dealers (routed by region) and the access log
belong to no office: their batches are the group's. Persons are anonymised (services/privacy/subject_requests.py
``anonymise``, the same as a customer's deletion request; dealers here), receptions lose
their observation fields, and the access log's old events are deleted through
``audit.delete_through`` with a purge event that keeps the chain verifiable. Every run is
logged with the ids (the log: with the count, the cut-off and the last number deleted).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from core.clock import office_midnight_utc
from models.admin.offices import Office
from models.admin.people import User
from models.base import utcnow
from models.dealers.dealers import Dealer, DealerVisit
from models.privacy.audit import AccessEvent
from models.privacy.privacy import RetentionBatch
from models.property.property import Lease, Owner, Ownership, ParkingSpace, ResidentCard, Tenant
from models.property.transfers import Transfer
from models.sales.prospects import Prospect, Visit
from models.shared.approvals import ChangeRequest, RecordHistory
from services.admin.offices import visible_office_ids
from services.privacy import audit
from services.privacy.retention_periods import KINDS, Kind, RetentionError, cutoff_for, periods
from services.privacy.subject_requests import (
    ANONYMISED,
    APPROVERS,
    CLEARED,
    VISIT_FIELDS,
    anonymise,
)

#: A dealer's personal fields (the contact person's; a sole trader's shop name is replaced).
DEALER_FIELDS = ("contact_name", "mobile", "landline", "address", "notes")
#: The free text of a potential dealer's file, which may describe the people behind it.
DEALER_FILE_FIELDS = ("business_profile", "current_suppliers", "interest", "next_step")
#: Kinds whose records are persons anonymised in place.
PERSON_KINDS = ("prospect", "owner", "tenant", "dealer")


@dataclass
class KindStatus:
    """One line of the retention page."""

    kind: Kind
    days: int
    cutoff: date
    count: int
    pending: RetentionBatch | None


# --- offices --------------------------------------------------------------------------------
#: Offices, as services.admin.offices.visible_office_ids gives them: None means every office.
Offices = frozenset[int] | None


def _office_column(kind: str):
    """The office column of a kind whose records belong to an office; None for the group's."""
    return {
        "prospect": Prospect.office_id,
        "owner": Owner.office_id,
        "tenant": Tenant.office_id,
        "visit": Visit.office_id,
    }.get(kind)


def _covers(outer: Offices, inner: Offices) -> bool:
    """Whether the offices ``outer`` include every office of ``inner``."""
    if outer is None:
        return True
    return inner is not None and inner <= outer


def _overlap(one: Offices, other: Offices) -> bool:
    if one is None or other is None:
        return True
    return bool(one & other)


def _offices_of(session: Session, user: User | None) -> frozenset[int]:
    """The offices ``user`` works for; every office of the group for a group role (or an
    account that is gone)."""
    offices = visible_office_ids(user) if user is not None else None
    if offices is None:
        offices = frozenset(session.scalars(select(Office.id)))
    return offices


def batch_offices(session: Session, batch: RetentionBatch) -> Offices:
    """The offices a batch covers: those of the person who asked; None for a batch of the
    group's records (dealers, the access log)."""
    if _office_column(batch.record_type) is None:
        return None
    asker = session.get(User, batch.requested_by_id) if batch.requested_by_id else None
    return _offices_of(session, asker)


def sees_batch(session: Session, batch: RetentionBatch, user: User) -> bool:
    """Whether ``user`` sees and decides ``batch``: a batch of the group's records, or one
    covering only offices ``user`` works for."""
    offices = batch_offices(session, batch)
    return offices is None or _covers(visible_office_ids(user), offices)


def visible_batch(session: Session, batch_id: int, user: User) -> RetentionBatch | None:
    batch = session.get(RetentionBatch, batch_id)
    return batch if batch is not None and sees_batch(session, batch, user) else None


# --- candidates -----------------------------------------------------------------------------
def candidates(kind: str, cutoff: date, offices: Offices):
    """Query of the ids past their period (for the access log: the sequence numbers), of
    ``offices`` for the kinds that belong to an office."""
    builder = _CANDIDATES.get(kind)
    if builder is None:
        raise RetentionError(_("no such kind of record"))
    query = builder(cutoff)
    column = _office_column(kind)
    if column is not None and offices is not None:
        query = query.where(column.in_(sorted(offices) or [-1]))
    return query


def _prospects(cutoff: date):
    last = func.coalesce(Prospect.last_contact_on, Prospect.first_visit_on)
    return select(Prospect.id).where(
        Prospect.name != ANONYMISED,
        Prospect.progress != "signed",
        or_(last < cutoff, last.is_(None) & (func.date(Prospect.created_at) < cutoff)),
    )


def _owners(cutoff: date):
    owned = Ownership.owner_id == Owner.id
    return select(Owner.id).where(
        Owner.name != ANONYMISED,
        # A past owner: has owned, and every ownership ended before the cut-off.
        exists().where(owned),
        ~exists().where(owned, or_(Ownership.ended_on.is_(None), Ownership.ended_on >= cutoff)),
        ~exists().where(ParkingSpace.owner_id == Owner.id),
        ~exists().where(
            Transfer.status == "open",
            or_(Transfer.seller_id == Owner.id, Transfer.buyer_id == Owner.id),
        ),
    )


def _tenants(cutoff: date):
    leased = Lease.tenant_id == Tenant.id
    ended_on = func.coalesce(Lease.moved_out_on, Lease.ends_on)
    return select(Tenant.id).where(
        Tenant.name != ANONYMISED,
        exists().where(leased),
        ~exists().where(
            leased, or_(Lease.status != "ended", ended_on.is_(None), ended_on >= cutoff)
        ),
        ~exists().where(ResidentCard.tenant_id == Tenant.id, ResidentCard.status == "active"),
    )


def _dealers(cutoff: date):
    visited = DealerVisit.dealer_id == Dealer.id
    return select(Dealer.id).where(
        Dealer.name != ANONYMISED,
        Dealer.status != "signed",
        Dealer.contract_signed_on.is_(None),
        ~exists().where(visited, DealerVisit.visited_on >= cutoff),
        # Never visited: the day it was entered stands for the last visit.
        or_(exists().where(visited), func.date(Dealer.created_at) < cutoff),
    )


def _visits(cutoff: date):
    return select(Visit.id).where(
        Visit.visited_on < cutoff,
        or_(*(getattr(Visit, field).is_not(None) for field in VISIT_FIELDS)),
    )


def log_cutoff_instant(cutoff: date) -> datetime:
    """The start of the cut-off day in the office, as the log's naive UTC."""
    return office_midnight_utc(cutoff)


def _last_old_event(cutoff: date):
    # The log's events are numbered without gaps in the order they were written, so the
    # events before the cut-off are 1..the number of the last one (and only the oldest go).
    return (
        select(AccessEvent.seq)
        .where(AccessEvent.at < log_cutoff_instant(cutoff))
        .order_by(AccessEvent.at.desc(), AccessEvent.seq.desc())
        .limit(1)
        .scalar_subquery()
    )


def _events(cutoff: date):
    return select(AccessEvent.seq).where(AccessEvent.seq <= _last_old_event(cutoff))


_CANDIDATES = {
    "prospect": _prospects,
    "owner": _owners,
    "tenant": _tenants,
    "dealer": _dealers,
    "visit": _visits,
    "access_log": _events,
}


def candidate_count(session: Session, kind: str, cutoff: date, offices: Offices) -> int:
    if kind == "access_log":
        # Ten million events: count from the numbers, not row by row.
        last = session.scalar(select(_last_old_event(cutoff)))
        if last is None:
            return 0
        first = session.scalar(select(func.min(AccessEvent.seq)))
        return last - first + 1
    query = candidates(kind, cutoff, offices)
    return session.scalar(select(func.count()).select_from(query.subquery()))


def overview(session: Session, today: date, user: User) -> list[KindStatus]:
    """Each kind with its period, cut-off and how many of ``user``'s offices are past it."""
    days = periods(session)
    offices = visible_office_ids(user)
    pending = {batch.record_type: batch for batch in pending_batches(session, user)}
    lines = []
    for code, kind in KINDS.items():
        cutoff = cutoff_for(today, days[code])
        count = candidate_count(session, code, cutoff, offices)
        lines.append(KindStatus(kind, days[code], cutoff, count, pending.get(code)))
    return lines


# --- batches --------------------------------------------------------------------------------
def request_batch(session: Session, user: User, actor, kind: str, today: date) -> RetentionBatch:
    """Ask for a batch of ``kind`` with today's cut-off; another person must approve it."""
    if kind not in KINDS:
        raise RetentionError(_("no such kind of record"))
    _check_role(user)
    cutoff = cutoff_for(today, periods(session)[kind])
    offices = _offices_of(session, user) if _office_column(kind) is not None else None
    waiting = session.scalars(
        select(RetentionBatch).where(
            RetentionBatch.record_type == kind, RetentionBatch.status == "pending"
        )
    )
    if any(_overlap(batch_offices(session, batch), offices) for batch in waiting):
        raise RetentionError(_("a batch of these records is already waiting for approval"))
    expected = candidate_count(session, kind, cutoff, offices)
    if not expected:
        raise RetentionError(_("nothing is past its retention period"))
    batch = RetentionBatch(
        record_type=kind, cutoff_on=cutoff, expected=expected, requested_by_id=user.id
    )
    session.add(batch)
    session.flush()
    audit.record(session, actor, "retention_asked", record_type=kind, record_id=batch.id)
    return batch


def decide_batch(session: Session, batch: RetentionBatch, user: User, actor, approve: bool) -> int:
    """Approve (run) or reject a pending batch; the number of records it touched."""
    _check_role(user)
    if not sees_batch(session, batch, user):
        raise RetentionError(_("this batch is of offices you do not work for"))
    if batch.requested_by_id == user.id:
        raise RetentionError(_("another person must approve what you asked for"))
    # Conditional: of two approvers pressing at once exactly one runs the batch.
    decided = session.execute(
        update(RetentionBatch)
        .where(RetentionBatch.id == batch.id, RetentionBatch.status == "pending")
        .values(
            status="done" if approve else "rejected",
            decided_by_id=user.id,
            decided_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if decided != 1:
        raise RetentionError(_("this batch is already decided"))
    if not approve:
        audit.record(
            session, actor, "retention_rejected", record_type=batch.record_type, record_id=batch.id
        )
        session.refresh(batch)
        return 0
    done = _RUNS[batch.record_type](session, actor, batch)
    session.execute(
        update(RetentionBatch)
        .where(RetentionBatch.id == batch.id)
        .values(anonymised=done)
        .execution_options(synchronize_session=False)
    )
    session.refresh(batch)
    return done


def _check_role(user: User) -> None:
    if not user.has_role(*APPROVERS):
        raise RetentionError(_("only a supervisor or an admin asks for or approves a batch"))


def _run_persons(session: Session, actor, batch: RetentionBatch) -> int:
    kind = batch.record_type
    ids = list(session.scalars(candidates(kind, batch.cutoff_on, batch_offices(session, batch))))
    for record_id in ids:
        if kind == "dealer":
            anonymise_dealer(session, record_id)
        else:
            anonymise(session, kind, record_id)
    _log_ids(session, actor, "retention_anonymise", kind, ids)
    return len(ids)


def _run_visits(session: Session, actor, batch: RetentionBatch) -> int:
    offices = batch_offices(session, batch)
    ids = list(session.scalars(candidates("visit", batch.cutoff_on, offices)))
    for start in range(0, len(ids), 1000):
        session.execute(
            update(Visit)
            .where(Visit.id.in_(ids[start : start + 1000]))
            .values({field: None for field in VISIT_FIELDS})
            .execution_options(synchronize_session=False)
        )
    _log_ids(session, actor, "retention_cleared", "visit", ids)
    return len(ids)


def _run_access_log(session: Session, actor, batch: RetentionBatch) -> int:
    last = session.scalar(select(_last_old_event(batch.cutoff_on)))
    deleted = 0
    if last is not None:
        try:
            deleted = audit.delete_through(session, last)
        except DBAPIError as exc:
            # PostgreSQL: the database account may not set session_replication_role.
            raise RetentionError(
                _(
                    "The database refused to delete from the access log; nothing was changed "
                    "(docs/privacy-requests.md says which right the database account needs)."
                )
            ) from exc
    # The purge is itself an event: the last number deleted (what verify needs), the count
    # and the cut-off, under the chain's HMAC like every other event.
    audit.record(
        session,
        actor,
        audit.PURGE_ACTION,
        record_type="access_event",
        record_id=last,
        path=_purge_note(batch.cutoff_on, deleted, batch.id),
    )
    return deleted


def _purge_note(cutoff: date, deleted: int, batch_id: int) -> str:
    return f"retention batch {batch_id}: {deleted} events before {cutoff.isoformat()}"


_RUNS = {
    **{kind: _run_persons for kind in PERSON_KINDS},
    "visit": _run_visits,
    "access_log": _run_access_log,
}


def _log_ids(session: Session, actor, action: str, kind: str, ids: list[int]) -> None:
    # One event per MAX_IDS ids, so every id touched is in the log.
    for start in range(0, max(len(ids), 1), audit.MAX_IDS):
        audit.record(
            session, actor, action, record_type=kind, record_ids=ids[start : start + audit.MAX_IDS]
        )


def anonymise_dealer(session: Session, dealer_id: int) -> None:
    """Clear a dealer's personal data in place; region, status, dates and counts stay."""
    dealer = session.get(Dealer, dealer_id)
    dealer.name = ANONYMISED
    for field in DEALER_FIELDS:
        setattr(dealer, field, None)  # attribute events clear the blind index too
    # An anonymised entry cannot be contacted: it leaves the potential-dealer directory.
    dealer.in_directory = False
    for entry in dealer.potential_files:
        for field in DEALER_FILE_FIELDS:
            setattr(entry, field, None)
    for visit in dealer.visits:
        visit.summary = CLEARED
    if dealer.data_card is not None:
        dealer.data_card.legal_representative = None
        dealer.data_card.bank_account = None
        dealer.data_card.notes = None
    _forget_old_values(session, "dealer", dealer_id)


def _forget_old_values(session: Session, record_type: str, record_id: int) -> None:
    # As subject_requests.anonymise does for customers: the history's old values would keep
    # the data (through the ORM, so the encrypted column type writes them).
    for entry in session.scalars(
        select(RecordHistory).where(
            RecordHistory.record_type == record_type, RecordHistory.record_id == record_id
        )
    ):
        entry.changes = None
    for change in session.scalars(
        select(ChangeRequest).where(
            and_(ChangeRequest.record_type == record_type, ChangeRequest.record_id == record_id)
        )
    ):
        change.changes = {}


def batch_history(session: Session, user: User, limit: int = 30) -> list[RetentionBatch]:
    """Decided batches ``user`` sees, newest first."""
    # Batches are few (a handful a year): the office rule is applied to a bounded read.
    batches = session.scalars(
        select(RetentionBatch)
        .where(RetentionBatch.status != "pending")
        .order_by(RetentionBatch.id.desc())
        .limit(limit * 20)
    )
    return [batch for batch in batches if sees_batch(session, batch, user)][:limit]


def pending_batches(session: Session, user: User) -> list[RetentionBatch]:
    """Batches waiting for approval that ``user`` sees."""
    batches = session.scalars(
        select(RetentionBatch).where(RetentionBatch.status == "pending").order_by(RetentionBatch.id)
    )
    return [batch for batch in batches if sees_batch(session, batch, user)]
