"""Mainland phone numbers as the office writes them: what a mobile and a landline look like,
and the one normal form they are stored and compared in. Used by the form validators and by
the import, which checks the same rules without a form."""

from __future__ import annotations

import re

# ASCII digits only: Python's \d also matches full-width and other scripts' digits, which
# would be stored as typed and never match the same number in ASCII.
MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")
# Area code 3-4 digits starting with 0, then a 7-8 digit number, optional extension.
LANDLINE_RE = re.compile(r"^0[0-9]{2,3}-?[0-9]{7,8}(-[0-9]{1,6})?$")


def normalise_phone(value: str | None) -> str | None:
    """Strip spaces and a +86/86 prefix; None for empty."""
    if value is None:
        return None
    value = re.sub(r"[\s()]", "", value)
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("86") and len(value) == 13:
        value = value[2:]
    return value or None


def is_mobile(value: str) -> bool:
    return bool(MOBILE_RE.fullmatch(value))
