"""What the access log says about an account's sign-ins: whom a failed sign-in was aimed at,
and how many failed since the account's last successful sign-in (told to its owner then).

The failures are the access log's ``login_failed`` events naming the account as their record
(``record_type`` "user"); a successful sign-in is a ``login`` event by the account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.admin.people import User
from models.privacy.audit import AccessEvent

#: The record_type a failed sign-in names its account under.
ACCOUNT = "user"


@dataclass(frozen=True)
class Failures:
    count: int
    last_at: datetime | None  # naive UTC, like every stored moment


def account_named(session: Session, username: str) -> User | None:
    """The account a sign-in with this typed name was aimed at (as authenticate reads it)."""
    if "\x00" in username:  # no account has one, and PostgreSQL refuses it in a query
        return None
    return session.scalar(select(User).where(User.username == username.strip()))


def failures_since_last_sign_in(session: Session, user_id: int) -> Failures:
    """Failed sign-ins to ``user_id`` after its latest successful one (all, if none yet).
    Call before the new sign-in's own event is written."""
    last_sign_in = session.scalar(
        select(func.max(AccessEvent.at)).where(
            AccessEvent.user_id == user_id, AccessEvent.action == "login"
        )
    )
    query = select(func.count(), func.max(AccessEvent.at)).where(
        AccessEvent.record_type == ACCOUNT,
        AccessEvent.record_id == user_id,
        AccessEvent.action == "login_failed",
    )
    if last_sign_in is not None:
        query = query.where(AccessEvent.at > last_sign_in)
    count, last_at = session.execute(query).one()
    return Failures(int(count or 0), last_at)
