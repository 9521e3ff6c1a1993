"""Search: what the list's search box and the as-you-type selects match.

Owns ``search_max_length``, ``search_conditions`` (= ``exact_search_conditions`` +
``text_search_conditions``; the customer picker calls it on each kind's view),
``_apply_search`` and the ajax loader of related records. Names are matched through their
token index (services/shared/name_search.py), other text columns by LIKE with the user's
wildcards literal, encrypted columns only exactly, through their blind index.

Relies on: ``self.model`` and ``self.column_searchable_list`` (Flask-Admin) only.
"""

from __future__ import annotations

from flask import g, has_request_context
from sqlalchemy import Unicode, and_, cast, false, or_, text
from sqlalchemy.sql.elements import False_

from core.crypto import ID_NUMBER, PHONE
from extensions import db
from models.shared.name_search import NameToken
from services.shared import name_search
from views.shared import encrypted_fields


class SearchMixin:
    #: Longest search term accepted; longer input is cut, never an error.
    search_max_length = 100

    def search_conditions(self, term: str) -> list:
        """SQL conditions, any one of which makes a row match the whole search ``term``.

        Two kinds, so each can grow on its own: exact identity matches (a full phone or ID
        number through its blind index) and text matches (names and other plain columns).
        """
        return [*self.exact_search_conditions(term), *self.text_search_conditions(term)]

    def exact_search_conditions(self, term: str) -> list:
        """Exact matches of the whole term on the encrypted searchable columns that keep a
        blind index (a full mobile or ID number): "138 0013 8000" finds 13800138000."""
        if not self.column_searchable_list:
            return []
        return encrypted_fields.exact_conditions(self.model, self.column_searchable_list, term)

    def text_search_conditions(self, term: str) -> list:
        """Default: every word must appear (case-insensitively) in one of the view's
        ``column_searchable_list`` columns; a related column ("owner.name") matches through
        EXISTS, so the list query needs no join."""
        words = [w for w in term.split() if w]
        # Encrypted columns hold tokens: a LIKE on them would match random base64.
        paths = encrypted_fields.text_paths(self.model, self.column_searchable_list or ())
        if not words or not paths:
            return []
        per_word = []
        for word in words:
            # Drop matches that cannot hold (a number is no name): a constant FALSE in an OR
            # costs SQLite the index plan of the other side (the exact phone search).
            matches = [
                condition
                for condition in (self._word_matches(path, word) for path in paths)
                if not isinstance(condition, False_)
            ]
            if not matches:
                return []  # this word matches no text column: the text half cannot match
            per_word.append(or_(*matches))
        return [and_(*per_word)]

    def _word_matches(self, path, word: str):
        pattern = f"%{_escape_like(word)}%"
        if not isinstance(path, str):
            return cast(path, Unicode).ilike(pattern, escape="\\")
        head, _dot, rest = path.partition(".")
        attr = getattr(self.model, head)
        if not rest:
            if head == "name" and name_search.kind_of(self.model):
                return _name_token_match(self.model, word)
            return cast(attr, Unicode).ilike(pattern, escape="\\")
        related = attr.property.mapper.class_
        target = getattr(related, rest)
        if rest == "name" and name_search.kind_of(related):
            inner = _name_token_match(related, word)
        else:
            inner = cast(target, Unicode).ilike(pattern, escape="\\")
        return attr.any(inner) if attr.property.uselist else attr.has(inner)

    def _apply_search(self, query, count_query, joins, count_joins, search):
        # NUL never belongs in a search and PostgreSQL refuses it in a string: drop it.
        term = (search or "").replace("\x00", "").strip()[: self.search_max_length]
        if not term:
            return query, count_query, joins, count_joins
        if has_request_context():
            g.search_token_order = None
        join = self._newest_first_join(term)
        if join is not None:
            # One exact name token: joined, and the list ordered by the token's record id
            # (ListingMixin._apply_sorting), so the page is read straight off the index.
            query = query.join(NameToken, join)
            if count_query is not None:
                # Counted in the same order, so the count walks the index too and stops at
                # its cap (PostgreSQL: a nested loop of index probes, 2 ms for 1,001 of 伟
                # at 150,000 cards, against 16-22 ms by a hash or merge join).
                count_query = count_query.join(NameToken, join).order_by(NameToken.record_id.desc())
            if has_request_context():
                g.search_token_order = NameToken.record_id
            session = query.session
            if session.get_bind().dialect.name == "postgresql":
                # PostgreSQL otherwise merges the token run with the whole office's ids in id
                # order, walking the table's index to the oldest match: a common token's
                # count read 35,000 index entries for 1,001 matches. For this request's
                # transaction only (SET LOCAL), which holds nothing else that merges.
                session.execute(text("SET LOCAL enable_mergejoin = off"))
            return query, count_query, joins, count_joins
        conditions = self.search_conditions(term) or [false()]
        condition = or_(*conditions)
        query = query.filter(condition)
        if count_query is not None:
            count_query = count_query.filter(condition)
        return query, count_query, joins, count_joins

    def _newest_first_join(self, term: str):
        """The join to the name index when the whole search is one exact name token (one
        word, the name the view's only text column, no blind-indexed number matching);
        else None and the search is the usual conditions."""
        if not name_search.kind_of(self.model) or len(term.split()) != 1:
            return None
        paths = encrypted_fields.text_paths(self.model, self.column_searchable_list or ())
        if list(paths) != ["name"] or self.exact_search_conditions(term):
            return None
        if encrypted_fields.looks_like(term, PHONE) or encrypted_fields.looks_like(term, ID_NUMBER):
            return None
        return name_search.newest_first_join(self.model, term)

    def _create_ajax_loader(self, name, options):
        return encrypted_fields.create_ajax_loader(self.model, db.session, name, options)


def _name_token_match(model, word: str):
    # Names are found through their token index (part, pinyin, initials), never a scan. A
    # word that is a phone or ID number is not a name: no condition, so the number's own
    # index serves the search alone.
    if encrypted_fields.looks_like(word, PHONE) or encrypted_fields.looks_like(word, ID_NUMBER):
        return false()
    condition = name_search.search_condition(model, word)
    return condition if condition is not None else false()


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
