"""Picking the customer a register entry is about (a customer's request, a complaint) by
searching their name or phone, never by typing an internal record number.

One select2 search field (Flask-Admin's own ajax select, so no new script) looks across the
welcome cards, owners and tenants the user may list. Each kind is searched through its own
registered view: the same scoping (get_query), the same search (name tokens, exact phone or ID
through the blind index) and the same rights as its list page, so the picker can never show a
record its list would not. Every lookup that finds someone is an access-log event per kind,
with the ids shown and the term as its keyed hash, like a list search.

A view takes it by listing ``CustomerPickerMixin`` before ``SecureModelView`` and ``"customer"``
in ``form_columns``; its model has ``subject_type`` and ``subject_id`` columns.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, has_request_context, request
from flask_admin.model.ajax import AjaxModelLoader
from flask_admin.model.fields import AjaxSelectField
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_
from wtforms.validators import ValidationError

from core import access
from core.masking import mask_phone
from views.shared.audit_context import log_in_own_transaction

#: The kinds of customer record a register entry can be about, by their view's access key.
KINDS = {
    "prospect": _l("Welcome card"),
    "owner": _l("Owner"),
    "tenant": _l("Tenant"),
}
#: Name of the form field and of its ajax loader.
FIELD = "customer"
#: Longest search term taken (longer input is cut).
TERM_MAX = 100


@dataclass(frozen=True)
class Customer:
    """One customer record as the picker holds it."""

    subject_type: str
    record: object

    @property
    def key(self) -> str:
        return f"{self.subject_type}:{self.record.id}"


def _kind_view(subject_type: str):
    """The registered model view of ``subject_type`` (it owns that kind's scope and search)."""
    for admin in current_app.extensions.get("admin", []):
        for view in admin._views:
            if getattr(view, "access_key", None) == subject_type and hasattr(view, "get_query"):
                return view
    return None


def _may_list(view) -> bool:
    return view is not None and access.LIST in view.rights


def _label(customer: Customer) -> str:
    record = customer.record
    phone = mask_phone(getattr(record, "mobile", None))
    parts = [str(KINDS[customer.subject_type]), record.name or ""]
    if phone:
        parts.append(phone)
    return " · ".join(parts)


def find(subject_type: str, subject_id) -> Customer | None:
    """The customer ``subject_type``/``subject_id`` if the current user may list it."""
    view = _kind_view(subject_type) if subject_type in KINDS else None
    if not _may_list(view):
        return None
    try:
        pk = int(subject_id)
    except (TypeError, ValueError):
        return None
    record = view.get_query().filter(view.model.id == pk).one_or_none()
    return Customer(subject_type, record) if record is not None else None


def customer_label(session, subject_type: str, subject_id: int) -> str:
    """A short label for lists and details pages: the kind and the name (never the number).

    Not scoped: the entry's own page was reached through its scoped view; the name is what
    the entry is about."""
    view = _kind_view(subject_type)
    kind = str(KINDS.get(subject_type, subject_type))
    record = session.get(view.model, subject_id) if view is not None else None
    return f"{kind} · {record.name}" if record is not None else kind


class CustomerLoader(AjaxModelLoader):
    """The ajax loader behind the field: ids are "kind:id" strings."""

    def __init__(self):
        super().__init__(FIELD, {"placeholder": _l("Search by name or phone")})

    def format(self, model):
        if model is None:
            return None
        return (model.key, _label(model))

    def get_one(self, pk):
        subject_type, _sep, subject_id = str(pk).partition(":")
        return find(subject_type, subject_id)

    def get_list(self, query, offset=0, limit=10):
        term = (query or "").replace("\x00", "").strip()[:TERM_MAX]
        # One page of newest matches per kind; select2 asks for more only when a page is full.
        if not term or offset:
            return []
        found: list[Customer] = []
        for subject_type in KINDS:
            view = _kind_view(subject_type)
            if not _may_list(view):
                continue
            conditions = view.search_conditions(term)
            if not conditions:
                continue
            rows = (
                view.get_query()
                .filter(or_(*conditions))
                .order_by(view.model.id.desc())
                .limit(limit)
                .all()
            )
            if rows:
                log_in_own_transaction(
                    "search",
                    fail_closed=True,
                    record_type=subject_type,
                    record_ids=[row.id for row in rows],
                    term=term,
                )
            found.extend(Customer(subject_type, row) for row in rows)
        return found


LOADER = CustomerLoader()


class CustomerField(AjaxSelectField):
    """The picker's field: saving writes the record's kind and id onto the entry."""

    def __init__(self, label=None, **kwargs):
        super().__init__(LOADER, label or _l("Customer"), **kwargs)

    def pre_validate(self, form) -> None:
        if self.data is None:
            raise ValidationError(_("Search for the customer by name or phone and pick one."))

    def populate_obj(self, obj, name) -> None:
        obj.subject_type = self.data.subject_type
        obj.subject_id = self.data.record.id


class CustomerPickerMixin:
    """Adds the ``customer`` field to a model view whose model has subject_type/subject_id."""

    def __init__(self, *args, **kwargs):
        self.form_extra_fields = {**(self.form_extra_fields or {}), FIELD: CustomerField()}
        super().__init__(*args, **kwargs)

    def _process_ajax_references(self):
        references = super()._process_ajax_references()
        references[FIELD] = LOADER
        return references

    def create_form(self, obj=None):
        form = super().create_form(obj)
        # Reached from a customer's details page: that customer is already picked.
        if has_request_context() and request.method == "GET" and FIELD in form:
            picked = find(request.args.get("subject_type", ""), request.args.get("subject_id"))
            if picked is not None:
                form[FIELD].data = picked
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if obj is not None and FIELD in form and request.method == "GET":
            form[FIELD].data = find(obj.subject_type, obj.subject_id)
        return form
