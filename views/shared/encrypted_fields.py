"""Flask-Admin meets encrypted columns: form fields, exact search, and as-you-type selects.

An encrypted column holds a fresh-nonce AES-GCM token, so SQL cannot compare or LIKE it
(models/types.py refuses). Flask-Admin does both by default: its form converter does not know
the type, its search and ajax selects cast every column to text and LIKE it (which on a
token would silently match random base64). This module gives the base view what it needs:
a converter, the split of searchable paths into text and exact (blind-index) matches, and
an ajax loader that finds a person by part of the name or by the full mobile.

Both the form's related-record selects and the ajax loaders offer only records of the
signed-in account's offices (issue 18): another office's unit or owner is neither listed
nor accepted when posted.
"""

from __future__ import annotations

import re

from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.model.form import converts
from flask_login import current_user
from sqlalchemy import Unicode, cast, or_
from wtforms import fields

from core.crypto import ID_NUMBER, PHONE, normalise
from extensions import db
from models.types import blind_index_of, blind_match, is_encrypted
from services.admin.offices import office_clause

#: Longest term an as-you-type select searches with.
AJAX_TERM_MAX = 50
#: Largest record id (the id columns are 32-bit integers).
ID_MAX = 2**31 - 1


def in_my_offices(query, model):
    """``query`` of ``model`` kept to the signed-in account's offices when the model has
    an office (reference items, accounts and dealers have none)."""
    office_id = getattr(model, "office_id", None)
    if office_id is None:
        return query
    return query.filter(office_clause(office_id, current_user._get_current_object()))


class PanelModelConverter(AdminModelConverter):
    """AdminModelConverter plus EncryptedString: a one-line field when the column has a
    length (with its Length validator), a text area for free text. Related-record selects
    list (and accept) only records of the account's offices."""

    def _model_select_field(self, prop, multiple, remote_model, **kwargs):
        ajax = getattr(self.view, "_form_ajax_refs", None) or {}
        if (
            prop.key not in ajax
            and "query_factory" not in kwargs
            and getattr(remote_model, "office_id", None) is not None
        ):
            # db.session inside the lambda: the request's session, not the one at start-up.
            kwargs["query_factory"] = lambda: in_my_offices(
                db.session.query(remote_model), remote_model
            )
        return super()._model_select_field(prop, multiple, remote_model, **kwargs)

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
    """Finds records of the account's offices by part of a plain field or by the exact value
    of an encrypted one."""

    def get_query(self):
        return in_my_offices(super().get_query(), self.model)

    def get_one(self, pk):
        # The posted id is whatever the browser sent: text or a number past the id column's
        # range is no record, not a database error (PostgreSQL refuses to compare them).
        try:
            number = int(str(pk).strip())
        except ValueError:
            return None
        if not 0 < number <= ID_MAX:
            return None
        # Through the scoped query: another office's record posted by id is no record.
        return self.get_query().filter(self.model.id == number).one_or_none()

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
