"""Rules of signing in and staying signed in, as plain functions.

- Failed sign-ins are counted per typed account name and per client address (the counting
  itself is Flask-Limiter's, wired in views/shared/security.py); ``account_key`` says under which
  name a failure is counted.
- A signed-in session ends after a stretch without requests (idle) and at the latest a fixed
  time after sign-in (absolute); ``session_end_reason`` decides.
"""

from __future__ import annotations

import hashlib
import hmac

#: Reasons a session ends, as returned by session_end_reason.
IDLE = "idle"
ABSOLUTE = "absolute"
#: The session lacks its timestamps: made before these checks, or not by our sign-in.
UNSTAMPED = "unstamped"


def account_key(username: str, secret: bytes) -> str:
    """The key failures are counted under for a typed account name.

    The same for every spelling that differs only by case or surrounding spaces, and the
    same whether the account exists or not (a lock-out reveals nothing). Keyed-hashed, so the
    counter store never holds what was typed: people do type their password into the name
    field.
    """
    name = username.strip().casefold()
    return hmac.new(secret, name.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def _is_timestamp(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def session_end_reason(
    *,
    signed_in_at: object,
    last_seen: object,
    now: float,
    idle_seconds: int,
    absolute_seconds: int,
) -> str | None:
    """Why a session stamped with ``signed_in_at`` and ``last_seen`` (epoch seconds) is over
    at ``now``: ABSOLUTE, IDLE or UNSTAMPED; None while it may go on."""
    if not _is_timestamp(signed_in_at) or not _is_timestamp(last_seen):
        return UNSTAMPED
    if now - signed_in_at >= absolute_seconds:
        return ABSOLUTE
    if now - last_seen >= idle_seconds:
        return IDLE
    return None


def minutes_until(moment: float, now: float) -> int:
    """Minutes from ``now`` until ``moment``, to the nearest minute, at least 1 (the limiter
    rounds its reset time up by a second: 15 minutes must not read as 16)."""
    return max(1, round((moment - now) / 60))
