"""The lockdown: one switch for the admin that stops every way customer data leaves the panel.

While it holds: exports, reveals of full numbers, imports, prints (and partners' shares,
through ``refuse_if_active``) stop; other accounts may not sign in (``refuse``) or may only
read (``read_only``), as chosen when locking; every page says so.

The truth is the database (``lockdowns``: an open row while locked), so every worker and
every app server obeys; each process keeps what it read for at most ``CACHE_SECONDS``
(``LOCKDOWN_CACHE_SECONDS`` in the configuration), so a second server obeys within a second.
Locking and lifting are the admin's; lifting needs a note; both are access events.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from flask import current_app, has_app_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from models.admin.incidents import Incident, Lockdown
from models.admin.people import User
from models.base import utcnow
from services.privacy import audit

#: The record_type of lockdown events in the access log.
LOCKDOWN_RECORD = "lockdown"
#: The longest a process trusts what it read (seconds).
CACHE_SECONDS = 0.5
NOTE_MAX = 1000

REFUSE, READ_ONLY = "refuse", "read_only"
MODES = {
    READ_ONLY: _l("Other accounts may sign in and read, but change nothing"),
    REFUSE: _l("Other accounts may not sign in"),
}


class LockdownError(ValueError):
    """Locking or lifting is not allowed now or by this person; the message is for the user."""


class LockedDown(RuntimeError):  # noqa: N818 - a state, not a failure of the code
    """An action refused because the panel is in lockdown; str() is the message for the user."""

    def __init__(self, message: str | None = None):
        super().__init__(message or refusal_message())


@dataclass(frozen=True)
class State:
    active: bool
    mode: str | None = None


_OFF = State(False)
_cache: dict[int, tuple[float, State]] = {}
_lock = threading.Lock()


def refusal_message() -> str:
    return _(
        "The panel is in lockdown after an incident: exports, prints, imports, shares and "
        "full numbers are stopped until the administrator lifts it."
    )


def _ttl() -> float:
    if has_app_context():
        # Under TESTING the default is no cache, so a page reads the state on every request
        # and counts of its statements do not depend on timing; tests of the cache set it.
        default = 0.0 if current_app.testing else CACHE_SECONDS
        return float(current_app.config.get("LOCKDOWN_CACHE_SECONDS", default))
    return CACHE_SECONDS


def _read(session: Session) -> State:
    query = (
        select(Lockdown.non_admin_mode)
        .where(Lockdown.lifted_at.is_(None))
        .order_by(Lockdown.id.desc())
        .limit(1)
    )
    bind = session.get_bind()
    if isinstance(bind, Engine):
        # A connection of its own: the request's session and its transaction stay untouched.
        with bind.connect() as connection:
            mode = connection.execute(query).scalar()
    else:
        mode = session.execute(query).scalar()
    return State(True, mode) if mode else _OFF


def state(session: Session) -> State:
    """Whether the panel is locked and in which mode; at most CACHE_SECONDS old."""
    key = id(session.get_bind())
    now = time.monotonic()
    cached = _cache.get(key)
    if cached is not None and now - cached[0] < _ttl():
        return cached[1]
    fresh = _read(session)
    with _lock:
        _cache[key] = (now, fresh)
    return fresh


def is_active(session: Session) -> bool:
    return state(session).active


def refuse_if_active(session: Session) -> None:
    """The one check for every action that lets customer data leave: raises LockedDown."""
    if is_active(session):
        raise LockedDown()


def forget() -> None:
    """Drop what this process remembers (after a change here; tests between databases)."""
    with _lock:
        _cache.clear()


def current(session: Session) -> Lockdown | None:
    """The lockdown that holds now, read fresh."""
    return session.scalars(
        select(Lockdown).where(Lockdown.lifted_at.is_(None)).order_by(Lockdown.id.desc()).limit(1)
    ).first()


def history(session: Session, limit: int = 20) -> list[Lockdown]:
    return list(session.scalars(select(Lockdown).order_by(Lockdown.id.desc()).limit(limit)))


def refuses_sign_in(session: Session, user: User) -> bool:
    """A non-admin account may not sign in while a lockdown in ``refuse`` mode holds."""
    if user.role_code == "admin":
        return False
    now = state(session)
    return now.active and now.mode == REFUSE


def read_only_for(session: Session, user) -> bool:
    """A non-admin account may only read while any lockdown holds (refuse mode ends its
    session instead, see views/admin/lockdown.py)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.role_code != "admin" and is_active(session)


def _clean_note(note: str | None) -> str:
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise LockdownError(_("At most %(max)d characters.", max=NOTE_MAX))
    return note


def lock(
    session: Session,
    user: User,
    actor: audit.Actor,
    *,
    mode: str,
    note: str | None = None,
    incident_id: int | None = None,
) -> Lockdown:
    """Lock the panel now (the admin's). Nothing changes when it is locked already."""
    if user.role_code != "admin":
        raise LockdownError(_("Only the administrator locks the panel."))
    if mode not in MODES:
        raise LockdownError(_("Choose what other accounts may do during the lockdown."))
    note = _clean_note(note)
    if incident_id is not None and session.get(Incident, incident_id) is None:
        raise LockdownError(_("There is no such incident."))
    existing = current(session)
    if existing is not None:
        raise LockdownError(_("The panel is already in lockdown."))
    row = Lockdown(
        started_at=utcnow(),
        started_by_id=user.id,
        start_note=note,
        non_admin_mode=mode,
        incident_id=incident_id,
    )
    session.add(row)
    session.flush()
    audit.record(session, actor, "lockdown", record_type=LOCKDOWN_RECORD, record_id=row.id)
    forget()
    return row


def lift(session: Session, user: User, actor: audit.Actor, *, note: str | None) -> int:
    """Lift the lockdown (the admin's, with a note saying why it is safe again)."""
    if user.role_code != "admin":
        raise LockdownError(_("Only the administrator lifts the lockdown."))
    note = _clean_note(note)
    if not note:
        raise LockdownError(_("Say why the lockdown can be lifted."))
    open_ids = list(session.scalars(select(Lockdown.id).where(Lockdown.lifted_at.is_(None))))
    if not open_ids:
        raise LockdownError(_("The panel is not in lockdown."))
    session.execute(
        update(Lockdown)
        .where(Lockdown.id.in_(open_ids))
        .values(lifted_at=utcnow(), lifted_by_id=user.id, lift_note=note)
    )
    audit.record(
        session,
        actor,
        "lockdown_lift",
        record_type=LOCKDOWN_RECORD,
        record_id=max(open_ids),
        record_ids=open_ids,
    )
    forget()
    return max(open_ids)
