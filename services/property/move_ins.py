"""The new owner's move-in checklist: the move-in form, then the resident cards, then done.

A move-in opens when a transfer completes (services/transfers.complete). Each step is a
conditional UPDATE on an open move-in, so two clerks ticking at once cannot both finish it
and a finished move-in never changes again.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.admin.people import User
from models.property.moves import MoveIn
from services.admin.offices import office_clause
from services.privacy import audit

#: Checklist items, in the order the desk does them, with their labels.
ITEMS = {
    "form_done": _l("Move-in form filled in"),
    "cards_issued": _l("Resident cards issued to the household"),
}


class MoveInError(Exception):
    """A refused step; ``message`` is shown to the user, nothing was changed."""

    message = _l("This move-in cannot be changed.")

    def __init__(self, message=None):
        super().__init__(str(message or self.message))
        if message is not None:
            self.message = message


class Finished(MoveInError):
    message = _l("This move-in is finished and can no longer be changed.")


class ItemsLeft(MoveInError):
    message = _l("Tick every item of the checklist before finishing the move-in.")


def open_move_ins(session: Session, user: User | None, limit: int = 500) -> list[MoveIn]:
    """Open move-ins of ``user``'s offices, oldest first."""
    return list(
        session.scalars(
            select(MoveIn)
            .where(MoveIn.status == "open", office_clause(MoveIn.office_id, user))
            .order_by(MoveIn.moved_in_on)
            .limit(limit)
        )
    )


def _change(session: Session, move_in: MoveIn, *conditions, **values) -> None:
    done = session.execute(
        update(MoveIn)
        .where(MoveIn.id == move_in.id, MoveIn.status == "open", *conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        session.refresh(move_in)
        if move_in.status != "open":
            raise Finished()
        raise ItemsLeft()
    session.refresh(move_in)


def _log(session, user: User, actor: audit.Actor | None, action: str, move_in: MoveIn) -> None:
    actor = actor or audit.Actor(user.id, user.username, user.role_code)
    audit.record(session, actor, action, record_type="move_in", record_id=move_in.id)


def set_item(
    session: Session,
    user: User,
    move_in: MoveIn,
    item: str,
    value: bool,
    *,
    actor: audit.Actor | None = None,
) -> None:
    """Tick (or untick) one checklist item of an open move-in."""
    if item not in ITEMS:
        raise MoveInError()
    _change(session, move_in, **{item: value})
    _log(session, user, actor, "move_in_tick" if value else "move_in_untick", move_in)


def finish(
    session: Session, user: User, move_in: MoveIn, *, actor: audit.Actor | None = None
) -> None:
    """Close the move-in; refused while an item is open."""
    _change(
        session,
        move_in,
        MoveIn.form_done.is_(True),
        MoveIn.cards_issued.is_(True),
        status="done",
    )
    _log(session, user, actor, "move_in_done", move_in)
