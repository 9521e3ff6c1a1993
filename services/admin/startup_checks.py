"""What a start refuses: an unknown office time zone (always); keys left at a default, missing,
or too short to be secret (only with PRODUCTION on, PANEL_PRODUCTION=true).

Keys: A development start makes its keys into
instance/ on first use; in production every app server must be given the same keys (a key
made on one machine would sign sessions and the access log that no other server accepts).
"""

from __future__ import annotations

from core.clock import timezone_problem

#: Placeholders seen in samples and tests; a key containing one of them is not a secret.
_PLACEHOLDERS = ("change", "default", "dev", "example", "not-for-production", "secret", "test")
MIN_KEY_LENGTH = 32


def key_problem(name: str, value: str | None) -> str | None:
    """One line saying why ``value`` cannot be the production ``name``, or None."""
    if not value:
        return f"{name} is not set (PANEL_{name} or instance/config.py)"
    lowered = value.lower()
    if any(word in lowered for word in _PLACEHOLDERS):
        return f"{name} is a default or sample value; set a random one (PANEL_{name})"
    if len(value) < MIN_KEY_LENGTH:
        return f"{name} is shorter than {MIN_KEY_LENGTH} characters; set a random one"
    return None


def settings_problem(config) -> str | None:
    """One line saying which setting every start (development or production) refuses, or None."""
    return timezone_problem(config.get("OFFICE_TIMEZONE"))
