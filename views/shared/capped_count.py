"""List counts that stop counting: no full COUNT(*) over a million rows on every page.

Flask-Admin counts every matching row for each list page, to draw the pager. At a million
welcome cards that count is most of the page's cost. The base view counts instead up to a
cap (at least ten pages past the one shown), over ``SELECT 1 ... LIMIT cap + 1``, and shows
the total honestly as "more than 10,000" when the cap is reached.
"""

from __future__ import annotations

from flask_babel import format_number
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Query

#: Rows counted at least; a list past this shows "more than".
COUNT_CAP = 10_000
#: Pages the pager may need past the current one.
PAGES_AHEAD = 10


#: Rows a search counts at least: past it the title says "more than 1,000" (a search that
#: matches more is to be narrowed, and each counted match is an index probe with its scope).
SEARCH_COUNT_CAP = 1_000


def cap_for(page: int | None, page_size: int | None, *, searching: bool = False) -> int:
    """The cap for a list page: COUNT_CAP (SEARCH_COUNT_CAP for a search), or enough for
    PAGES_AHEAD pages past ``page``."""
    floor = min(SEARCH_COUNT_CAP, COUNT_CAP) if searching else COUNT_CAP
    return max(floor, ((page or 0) + 1 + PAGES_AHEAD) * (page_size or 20))


class CappedCount(int):
    """A count that may have stopped at its cap; an int for the pager, text for the title."""

    cap: int

    def __new__(cls, value: int, cap: int) -> CappedCount:
        count = super().__new__(cls, min(value, cap + 1))
        count.cap = cap
        return count

    @property
    def capped(self) -> bool:
        return int(self) > self.cap

    def __str__(self) -> str:
        if self.capped:
            return _("more than %(count)s", count=format_number(self.cap))
        return format_number(int(self))

    __repr__ = int.__repr__


class CappedCountQuery:
    """Stands in for Flask-Admin's count query: search, filters and joins go to the inner
    ``SELECT 1`` query (``filter``, ``join``... return a wrapped query), and ``scalar()``
    counts at most ``cap + 1`` of its rows."""

    def __init__(self, query: Query, cap: int):
        self._query = query
        self._cap = cap

    def __getattr__(self, name):
        attr = getattr(self._query, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            result = attr(*args, **kwargs)
            return self._wrapped(result) if isinstance(result, Query) else result

        return call

    def _wrapped(self, query: Query) -> CappedCountQuery:
        """``query`` (a filtered or joined form of this one) counted the same way."""
        return CappedCountQuery(query, self._cap)

    def scalar(self) -> CappedCount:
        limited = self._query.limit(self._cap + 1).subquery()
        counted = self._query.session.scalar(select(func.count()).select_from(limited))
        return CappedCount(counted or 0, self._cap)
