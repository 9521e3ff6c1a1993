"""Personal accounts: creation, password hashing (argon2) and sign-in checks."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.base import utcnow
from models.people import Role, User

_hasher = PasswordHasher()
# Verified against when the user is unknown, so both failures cost the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    """A rule about accounts was broken; the message is safe to show."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")


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
) -> User:
    """Create an account; raises AccountError on an unknown role, a taken name or a weak password."""
    username = username.strip()
    if not username:
        raise AccountError("username is required")
    role = session.scalar(select(Role).where(Role.code == role_code))
    if role is None:
        raise AccountError(f"unknown role {role_code!r}")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(f"username {username!r} is taken")
    check_password_rules(password)
    user = User(
        username=username,
        full_name=full_name or username,
        role=role,
        password_hash=hash_password(password),
        active=True,
        region_id=region_id,
        superior=superior,
        created_by_id=created_by.id if created_by else None,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, or None. Same cost either way."""
    user = session.scalar(select(User).where(User.username == username.strip()))
    stored = user.password_hash if user else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user
