"""Password rules for personal accounts.

A password is refused when it is shorter than MIN_LENGTH or longer than MAX_LENGTH, when it
is one of the most common passwords (services/admin/common_passwords.txt, compared without regard
to case), when it is the username, or when it is one character repeated. The messages are
lazy strings, shown in the reader's language wherever they are rendered.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

MIN_LENGTH = 10
#: Long passphrases are welcome; the cap only keeps the hashing cost bounded.
MAX_LENGTH = 128

_COMMON_FILE = Path(__file__).with_name("common_passwords.txt")


@cache
def common_passwords() -> frozenset[str]:
    """The common-password list, case-folded; lines starting with # are comments."""
    lines = _COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().casefold() for line in lines if line.strip() and not line.startswith("#")
    )


def is_common(password: str) -> bool:
    return password.strip().casefold() in common_passwords()


def password_problem(password: str, username: str | None = None) -> LazyString | None:
    """The first rule ``password`` breaks, as a message safe to show, or None if it passes."""
    if len(password) < MIN_LENGTH:
        return _l("A password needs at least %(num)d characters.", num=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _l("A password may have at most %(num)d characters.", num=MAX_LENGTH)
    if len(set(password)) == 1:
        return _l("A password must not be one character repeated.")
    if username and password.strip().casefold() == username.strip().casefold():
        return _l("A password must not be the username.")
    if is_common(password):
        return _l("This password is one of the most common ones; choose a harder one.")
    return None
