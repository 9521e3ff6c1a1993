"""Flask-Admin meets encrypted columns: form fields, exact search, and as-you-type selects.

An encrypted column holds a fresh-nonce AES-GCM token, so SQL cannot compare or LIKE it
(models/types.py refuses). Flask-Admin does both by default: its form converter does not know
the type, its search and ajax selects cast every column to text and LIKE it (which on a
token would silently match random base64). This module gives the base view what it needs:
a converter, the split of searchable paths into text and exact (blind-index) matches, and
an ajax loader that finds a person by part of the name or by the full mobile.
"""

from __future__ import annotations

import re

from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.model.form import converts
from sqlalchemy import Unicode, cast, or_
from wtforms import fields

from core.crypto import ID_NUMBER, PHONE, normalise
from models.types import blind_index_of, blind_match, is_encrypted

#: Longest term an as-you-type select searches with.
AJAX_TERM_MAX = 50
#: Largest record id (the id columns are 32-bit integers).
ID_MAX = 2**31 - 1


class PanelModelConverter(AdminModelConverter):
    """AdminModelConverter plus EncryptedString: a one-line field when the column has a
    length (with its Length validator), a text area for free text."""

    @converts("EncryptedString")
    def conv_encrypted(self, column, field_args, **extra):
        self._string_common(column=column, field_args=field_args, **extra)
        if column.type.length:
            return fields.StringField(**field_args)
        return fields.TextAreaField(**field_args)


def resolve_path(model, path):
    """(relationship attribute or None, target attribute) for "mobile" or "tenant.mobile"."""
    if not isinstance(path, str):
        return None, path
    head, _dot, rest = path.partition(".")
    attr = getattr(model, head)
    if not rest:
        return None, attr
    return attr, getattr(attr.property.mapper.class_, rest)


def text_paths(model, paths) -> list:
    """The searchable paths SQL may LIKE: every path but the encrypted ones."""
    return [path for path in paths if not is_encrypted(resolve_path(model, path)[1])]


#: What a whole search term must look like, once normalised, to be looked up as a number:
#: a phone (7 to 15 digits) or a resident ID (15 digits, or 17 and a digit or X).
NUMBER_SHAPES = {
    PHONE: re.compile(r"\d{7,15}"),
    ID_NUMBER: re.compile(r"\d{15}|\d{17}[\dX]"),
}


def looks_like(term: str, purpose: str) -> bool:
    return bool(NUMBER_SHAPES[purpose].fullmatch(normalise(term, purpose)))


def exact_conditions(model, paths, term: str) -> list:
    """Blind-index matches of the whole ``term`` for each encrypted path that has an index.

    An encrypted path without an index (a landline, notes) is not searchable at all. A term
    that cannot be a phone or ID number (王伟) adds no condition: an OR with an index that
    cannot match would only cost the database its best plan.
    """
    conditions = []
    for path in paths:
        relation, target = resolve_path(model, path)
        kept = blind_index_of(target) if is_encrypted(target) else None
        if kept is None:
            continue
        index_attr, purpose = kept
        if not looks_like(term, purpose):
            continue
        condition = blind_match(index_attr, term, purpose)
        if relation is not None:
            prop = relation.property
            condition = relation.any(condition) if prop.uselist else relation.has(condition)
        conditions.append(condition)
    return conditions


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class PanelAjaxLoader(QueryAjaxModelLoader):
    """Finds records by part of a plain field or by the exact value of an encrypted one."""

    def get_one(self, pk):
        # The posted id is whatever the browser sent: text or a number past the id column's
        # range is no record, not a database error (PostgreSQL refuses to compare them).
        try:
            number = int(str(pk).strip())
        except ValueError:
            return None
        if not 0 < number <= ID_MAX:
            return None
        return super().get_one(number)

    def get_list(self, term, offset=0, limit=10):
        term = (term or "").replace("\x00", "").strip()[:AJAX_TERM_MAX]
        query = self.get_query()
        if not term:
            return []
        pattern = f"%{_escape_like(term)}%"
        plain = [
            cast(field, Unicode).ilike(pattern, escape="\\")
            for field in self._cached_fields
            if not is_encrypted(field)
        ]
        exact = exact_conditions(self.model, self._cached_fields, term)
        query = query.filter(or_(*plain, *exact))
        if self.order_by is not None:
            query = query.order_by(self.order_by)
        return query.offset(offset).limit(limit).all()


def create_ajax_loader(model, session, name: str, options: dict) -> PanelAjaxLoader:
    """The loader for ``model.name`` (a relationship), like Flask-Admin's but encryption-aware."""
    attr = getattr(model, name, None)
    if attr is None or not hasattr(attr, "property") or not hasattr(attr.property, "mapper"):
        raise ValueError(f"{model.__name__}.{name} is not a relationship")
    return PanelAjaxLoader(name, session, attr.property.mapper.class_, **options)
