"""Which redirect targets taken from a request parameter may be followed.

One check for every ``next`` the panel honours (sign-in, the language switch): only a path on
this site. Anything else -- another scheme or host, a protocol-relative ``//host``, a
backslash (browsers read ``/\\host`` as ``//host``), and any control or invisible character
(browsers drop tabs and line breaks, so ``/\\t/host`` becomes ``//host``; a line break in a
Location header is refused by the server with a 500) -- is not a safe target.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

#: A longer target is not a page of ours; bounded so a huge parameter costs nothing.
MAX_TARGET_LENGTH = 2000

# Unicode categories that must never reach a Location header: controls (Cc), format
# characters such as bidi overrides (Cf), line/paragraph separators (Zl, Zp), surrogates and
# unassigned code points.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def _has_unsafe_character(text: str) -> bool:
    return any(ch.isspace() or unicodedata.category(ch) in _UNSAFE_CATEGORIES for ch in text)


def is_safe_local_path(target: str | None) -> bool:
    """True when ``target`` is a plain path on this site that is safe to redirect to."""
    if not target or not isinstance(target, str) or len(target) > MAX_TARGET_LENGTH:
        return False
    if _has_unsafe_character(target) or "\\" in target:
        return False
    if not target.startswith("/") or target.startswith("//"):
        return False
    try:
        parts = urlsplit(target)
    except ValueError:
        return False
    if parts.scheme or parts.netloc:
        return False
    # The same rules once percent-decoded (twice, for double encoding): "/%2F%2Fhost",
    # "/%5Chost" or "/%0A" must not turn into something a browser or proxy reads otherwise.
    decoded = target
    for _round in range(2):
        decoded = unquote(decoded)
        if decoded.startswith("//") or "\\" in decoded or _has_unsafe_character(decoded):
            return False
    return True
