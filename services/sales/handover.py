"""Handover (客户交接): a supervisor moves a consultant's customers, all or chosen ones, to
another consultant of the office in one step, with a note on every card's history.

The new owner opens the whole card, receptions and history included (the welcome-card rules:
"便于客户交接过程中接交人对客户信息的全面掌握"). An account that still owns customers is not
deactivated (services/admin/accounts.py ``owned_customers``) until they are handed over.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import delete, exists, func, insert, select, update
from sqlalchemy.orm import Session

from models.admin.people import User
from models.base import utcnow
from models.sales.ownership import OwnershipEvent, ProspectShare
from models.sales.prospects import Prospect
from services.admin.offices import office_clause
from services.sales.consultants import consultants, may_receive

#: Cards moved per statement (parameter limits of SQLite and PostgreSQL).
BATCH = 500
#: Most characters of the handover note.
NOTE_MAX = 500
#: Most cards listed for ticking on the handover page (a longer book is handed over whole).
TICK_LIMIT = 500


class HandoverError(ValueError):
    """The handover is not allowed as asked; the message is for the user."""


def _office_ids(user: User) -> list[int]:
    return sorted(office.id for office in user.offices)


def owners(session: Session, supervisor: User) -> list[User]:
    """Accounts owning cards of the supervisor's offices (active or not: a leaving
    consultant's account may already be closed), by name."""
    owns = exists().where(
        Prospect.consultant_id == User.id, office_clause(Prospect.office_id, supervisor)
    )
    return list(session.scalars(select(User).where(owns).order_by(User.full_name, User.id)))


def receivers(session: Session, supervisor: User) -> list[User]:
    """Active consultants of the supervisor's offices, by name."""
    return consultants(session, seen_by=supervisor)


def cards_of(session: Session, supervisor: User, owner_id: int, limit: int = TICK_LIMIT) -> list:
    """(id, name, mobile, last contact) of the owner's cards in the supervisor's offices, for
    ticking; at most ``limit`` (a longer book is handed over whole)."""
    return list(
        session.execute(
            select(
                Prospect.id,
                Prospect.name,
                Prospect.mobile,
                func.coalesce(Prospect.last_contact_on, Prospect.first_visit_on),
            )
            .where(
                Prospect.consultant_id == owner_id, office_clause(Prospect.office_id, supervisor)
            )
            .order_by(Prospect.id)
            .limit(limit)
        ).all()
    )


def hand_over(
    session: Session,
    supervisor: User,
    from_user: User,
    to_user: User,
    prospect_ids: Iterable[int] | None,
    note: str,
) -> int:
    """Give ``from_user``'s cards (all of them with ``prospect_ids`` None, else the chosen
    ones) in the offices the supervisor and ``to_user`` share to ``to_user``; returns how
    many moved. Never commits: one transaction, the caller's."""
    if not supervisor.has_role("supervisor"):
        raise HandoverError(_("Only a sales supervisor hands customers over."))
    note = (note or "").strip()
    if not note:
        raise HandoverError(
            _("Write a note for the handover: why, and what the new owner should know.")
        )
    if from_user.id == to_user.id:
        raise HandoverError(_("Choose another consultant to receive the customers."))
    if not may_receive(to_user):
        raise HandoverError(_("Customers go to an active consultant."))
    offices = set(_office_ids(supervisor)) & set(_office_ids(to_user))
    if not offices:
        raise HandoverError(_("The receiving consultant does not work in your office."))
    where = [Prospect.consultant_id == from_user.id, Prospect.office_id.in_(sorted(offices))]
    chosen: list[int] | None = None
    if prospect_ids is not None:
        chosen = sorted({int(i) for i in prospect_ids})
        if not chosen:
            raise HandoverError(_("Tick the customers to hand over, or choose all of them."))
        found = 0
        for start in range(0, len(chosen), BATCH):
            found += session.scalar(
                select(func.count())
                .select_from(Prospect)
                .where(*where, Prospect.id.in_(chosen[start : start + BATCH]))
            )
        if found != len(chosen):
            raise HandoverError(
                _(
                    "Some of the chosen customers are no longer %(name)s's in your office: "
                    "look again.",
                    name=from_user.full_name,
                )
            )
    moved = _move(session, where, chosen, from_user, to_user, supervisor, note[:NOTE_MAX])
    if moved == 0:
        raise HandoverError(
            _("%(name)s owns no customers in your office.", name=from_user.full_name)
        )
    return moved


def _move(session, where, chosen: list[int] | None, from_user, to_user, supervisor, note) -> int:
    """Move the matching cards batch by batch (keyset on the id), recording each move."""
    moved = 0
    after = 0
    locking = session.get_bind().dialect.name == "postgresql"
    while True:
        query = select(Prospect.id, Prospect.office_id).where(*where, Prospect.id > after)
        if chosen is not None:
            query = query.where(Prospect.id.in_([i for i in chosen if i > after][:BATCH]))
        query = query.order_by(Prospect.id).limit(BATCH)
        if locking:
            # A claim, release or edit of the same card waits for this transaction.
            query = query.with_for_update(of=Prospect)
        rows = session.execute(query).all()
        if not rows:
            break
        ids = [row.id for row in rows]
        session.execute(
            update(Prospect)
            .where(Prospect.id.in_(ids))
            .values(consultant_id=to_user.id, version=Prospect.version + 1)
            .execution_options(synchronize_session=False)
        )
        # The new owner no longer needs a share of a card that is now theirs.
        session.execute(
            delete(ProspectShare).where(
                ProspectShare.prospect_id.in_(ids), ProspectShare.user_id == to_user.id
            )
        )
        at = utcnow()
        session.execute(
            insert(OwnershipEvent),
            [
                {
                    "prospect_id": row.id,
                    "office_id": row.office_id,
                    "kind": "handed_over",
                    "from_user_id": from_user.id,
                    "to_user_id": to_user.id,
                    "by_user_id": supervisor.id,
                    "at": at,
                    "note": note,
                }
                for row in rows
            ],
        )
        moved += len(ids)
        after = ids[-1]
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Prospect):
            session.expire(obj)
    return moved
