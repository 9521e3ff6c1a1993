"""Personal accounts: creation, password hashing (argon2) and sign-in checks."""

from __future__ import annotations

from datetime import date
from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.admin.people import Role, User
from models.base import utcnow
from models.sales.prospects import Prospect
from services.admin import passwords
from services.admin.offices import ensure_default_office

#: argon2 parameter sets by name (PASSWORD_HASH_PROFILE). The default is argon2-cffi's own
#: (RFC 9106's low-memory choice, ~0.13 s a hash here); CHEAPEST exists for test suites,
#: which hash a password for nearly every test, and create_app refuses it outside TESTING.
#: A hash made under another profile is upgraded at the next sign-in (check_needs_rehash).
HASH_PROFILES = {
    "RFC_9106_LOW_MEMORY": profiles.RFC_9106_LOW_MEMORY,
    "CHEAPEST": profiles.CHEAPEST,
}
DEFAULT_HASH_PROFILE = "RFC_9106_LOW_MEMORY"


@cache
def _hasher_for(profile: str) -> PasswordHasher:
    return PasswordHasher.from_parameters(HASH_PROFILES[profile])


@cache
def _dummy_hash(profile: str) -> str:
    # Verified against when the user is unknown, so both failures cost the same time.
    return _hasher_for(profile).hash("not-a-real-password")


def _profile() -> str:
    if not has_app_context():
        return DEFAULT_HASH_PROFILE
    return current_app.config.get("PASSWORD_HASH_PROFILE", DEFAULT_HASH_PROFILE)


def _hasher() -> PasswordHasher:
    return _hasher_for(_profile())


MIN_PASSWORD_LENGTH = passwords.MIN_LENGTH


class AccountError(ValueError):
    """A rule about accounts was broken; the message is safe to show."""


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def check_password_rules(password: str, username: str | None = None) -> None:
    """Raise AccountError, with a message in the reader's language, when ``password`` breaks
    a rule of services/admin/passwords.py (length, common, the username, one character repeated)."""
    problem = passwords.password_problem(password, username)
    if problem is not None:
        raise AccountError(problem)


def create_user(
    session: Session,
    *,
    username: str,
    full_name: str,
    role_code: str,
    password: str,
    created_by: User | None = None,
    region_id: int | None = None,
    superior: User | None = None,
    offices: list | None = None,
    valid_until: date | None = None,
) -> User:
    """Create an account; raises AccountError on an unknown role, a taken name or a weak password.

    ``offices``: the offices it works for; None puts it in the group's first office (a group
    of one office never thinks about offices)."""
    username = username.strip()
    if not username:
        raise AccountError(_l("A username is required."))
    role = session.scalar(select(Role).where(Role.code == role_code))
    if role is None:
        raise AccountError(_l("Unknown role %(code)s.", code=role_code))
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(_l("This username is taken; choose another."))
    check_password_rules(password, username=username)
    user = User(
        username=username,
        full_name=full_name or username,
        role=role,
        password_hash=hash_password(password),
        active=True,
        region_id=region_id,
        superior=superior,
        created_by_id=created_by.id if created_by else None,
        valid_until=valid_until,
    )
    user.offices = list(offices) if offices is not None else [ensure_default_office(session)]
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, or None. Same cost either way."""
    name = username.strip()
    # No account name holds NUL, and PostgreSQL refuses it in a query: nobody to find.
    user = None if "\x00" in name else session.scalar(select(User).where(User.username == name))
    hasher = _hasher()
    stored = user.password_hash if user else _dummy_hash(_profile())
    try:
        hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def set_password(user: User, password: str) -> None:
    """Give ``user`` this password (the first one, or an admin's reset); raises AccountError
    when it breaks the rules. Nothing is flushed: the caller's transaction carries it."""
    check_password_rules(password, username=user.username)
    user.password_hash = hash_password(password)


def sees_own_region_only(user: User) -> bool:
    """Region managers see and edit only the dealers of their own region; every other role
    that holds a right on dealers sees all regions."""
    return user.role_code == "region_manager"


def needs_region(role_code: str) -> bool:
    """An account of this role must name its region (a region manager without one would
    see no dealer at all)."""
    return role_code == "region_manager"


#: Roles whose accounts must end on a date (the outside auditor's engagement).
TIME_BOXED_ROLES = frozenset({"auditor"})


def needs_valid_until(role_code: str | None) -> bool:
    """Whether an account of this role must name its last valid day."""
    return role_code in TIME_BOXED_ROLES


def expired(user: User, today: date) -> bool:
    """Whether a time-boxed account is past its last valid office day: it may not sign in,
    and a session it holds ends at its next request (views/admin/auth.py load_user)."""
    return user.valid_until is not None and today > user.valid_until


def may_deactivate(actor: User, user: User) -> bool:
    """Nobody deactivates their own account: the last admin could lock everyone out."""
    return actor.id != user.id


def owned_customers(session: Session, user_id: int) -> int:
    """How many welcome cards the account owns (consultant), in every office. An account
    that owns customers is deactivated only after a supervisor hands them over
    (services/sales/handover.py), so no customer is left with an owner nobody can reach."""
    return session.scalar(
        select(func.count()).select_from(Prospect).where(Prospect.consultant_id == user_id)
    )
