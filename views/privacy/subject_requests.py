"""Customers' requests about their data (/admin/subject_request/). Rules:
services/privacy/subject_requests.py. The retention review is views/privacy/retention.py."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import fields
from wtforms.validators import DataRequired, Length, Optional

from core import access
from core.clock import office_today
from extensions import db
from models.privacy.privacy import SubjectRequest
from services.privacy import corrections, customer_copy
from services.privacy import subject_requests as requests_service
from views.privacy import customer_copy as copy_document
from views.privacy.corrections import ARG as CORRECTION_ARG
from views.shared.approvals import field_label, request_status_label
from views.shared.audit_context import current_actor
from views.shared.base import SecureModelView
from views.shared.customer_picker import CustomerPickerMixin, customer_label

KIND_CHOICES = [
    ("copy", _l("A copy of their data")),
    ("correct", _l("A correction")),
    ("delete", _l("Deletion (anonymise)")),
]
SUBJECT_CHOICES = [
    ("prospect", _l("Welcome card")),
    ("owner", _l("Owner")),
    ("tenant", _l("Tenant")),
]
STATUS_CHOICES = [
    ("open", _l("Open")),
    ("awaiting_approval", _l("Awaiting approval")),
    ("answered", _l("Answered")),
    ("refused", _l("Refused")),
]


def _due(view, context, model, name):
    # Overdue and still open: shown in red, so the list by due date reads at a glance.
    text = model.due_on.isoformat()
    if model.status in ("open", "awaiting_approval") and model.due_on < office_today():
        return Markup('<span class="text-danger font-weight-bold">%s</span>') % text
    return text


def _subject(view, context, model, name):
    # The customer as a person reads it (kind and name), never an internal record number.
    return customer_label(db.session, model.subject_type, model.subject_id)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class SubjectRequestView(CustomerPickerMixin, SecureModelView):
    access_key = "subject_request"
    details_template = "admin/model/subject_request_details.html"
    can_export = False
    column_list = ("id", "kind", "subject", "received_on", "due_on", "status", "registered_by")
    column_details_list = (
        "id",
        "kind",
        "subject",
        "received_on",
        "due_on",
        "status",
        "note",
        "registered_by",
        "anonymise_requested_by",
        "approved_by",
        "answered_by",
        "answered_at",
        "answer_note",
    )
    column_default_sort = ("due_on", False)
    column_sortable_list = ("received_on", "due_on", "status")
    column_filters = (
        FilterEqual(SubjectRequest.status, _l("Status"), options=STATUS_CHOICES),
        FilterEqual(SubjectRequest.kind, _l("Request"), options=KIND_CHOICES),
    )
    column_choices = {"kind": KIND_CHOICES, "status": STATUS_CHOICES}
    column_formatters = {"due_on": _due, "subject": _subject}
    column_labels = {
        "id": _l("No."),
        "kind": _l("Request"),
        "subject": _l("Customer"),
        "subject_type": _l("Record type"),
        "subject_id": _l("Record number"),
        "received_on": _l("Received on"),
        "due_on": _l("Answer due"),
        "status": _l("Status"),
        "note": _l("What the customer asked"),
        "registered_by": _l("Registered by"),
        "anonymise_requested_by": _l("Anonymisation asked by"),
        "approved_by": _l("Approved by"),
        "answered_by": _l("Answered by"),
        "answered_at": _l("Answered at"),
        "answer_note": _l("Answer"),
    }
    # The customer is found by name or phone (views/shared/customer_picker.py), never typed as a
    # record number; a customer's details page links here with the customer picked.
    form_columns = ("kind", "customer", "received_on", "note")
    form_overrides = {
        "kind": fields.SelectField,
        "note": fields.TextAreaField,
    }
    form_args = {
        "kind": {"choices": KIND_CHOICES, "validators": [DataRequired()]},
        "received_on": {"validators": [DataRequired()], "default": office_today},
        "note": {"validators": [Optional(), Length(max=2000)]},
    }
    extra_endpoint_rights = {
        "copy_view": access.DETAILS,
        "print_copy_view": access.DETAILS,
        "ask_anonymise_view": access.CREATE,
        "approve_anonymise_view": access.CREATE,
        "answer_view": access.CREATE,
    }

    def on_model_change(self, form, model, is_created):
        if is_created:
            try:
                requests_service.register(
                    db.session, model, current_user._get_current_object(), current_actor()
                )
            except requests_service.RequestError as exc:
                raise ValueError(str(exc)) from None

    def _request_or_404(self) -> SubjectRequest:
        if not FlaskForm().validate_on_submit():
            abort(400)
        item = self.get_one(request.args.get("id"))
        if item is None:
            abort(404)
        return item

    def _step(self, item, step, done_message):
        try:
            step()
            db.session.commit()
        except requests_service.RequestError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            flash(done_message, "info")
        return redirect(self.get_url(".details_view", id=item.id))

    # --- the customer's copy (views/privacy/customer_copy.py, services/privacy/customer_copy.py) ---------
    def _copy_document(self, item: SubjectRequest):
        """The copy for a copy request that is open or answered (404 for any other), logged
        in this request's transaction; None when the customer record is gone."""
        if item.kind != "copy" or item.status not in ("open", "answered"):
            abort(404)
        try:
            document = copy_document.build(db.session, item)
        except copy_document.NoSuchCustomer:
            flash(_("no such customer record"), "error")
            return None
        customer_copy.log_copy(db.session, current_actor(), item, path=request.path)
        db.session.commit()
        return document

    @expose("/copy/", methods=("POST",))
    def copy_view(self):
        item = self._request_or_404()
        document = self._copy_document(item)
        if document is None:
            return redirect(self.get_url(".details_view", id=item.id))
        return Response(
            customer_copy.workbook(document),
            mimetype=XLSX,
            headers={
                "Content-Disposition": f"attachment;filename=request-{item.id}-copy.xlsx",
                "Cache-Control": "no-store",
            },
        )

    @expose("/copy/print/")
    def print_copy_view(self):
        """The same copy as an A4 page to print and hand over."""
        item = self.get_one(request.args.get("id"))
        if item is None:
            abort(404)
        document = self._copy_document(item)
        if document is None:
            return redirect(self.get_url(".details_view", id=item.id))
        page = self.render(
            "print/customer_copy.html",
            document=document,
            text=customer_copy.text,
            printed_on=office_today(),
        )
        return Response(page, headers={"Cache-Control": "no-store"})

    # --- a correction, through the approval of edits (services/privacy/corrections.py) -----------
    def correction_panel(self, item: SubjectRequest) -> dict | None:
        """For a correction request: the edit page that carries it out (for a role that
        edits that kind of record), and the change requests filed for it so far."""
        if item.kind != "correct":
            return None
        may_edit = access.can(current_user.role_code, item.subject_type, access.EDIT)
        edit_url = None
        if may_edit and item.status == "open":
            edit_url = url_for(
                f"{item.subject_type}.edit_view",
                id=item.subject_id,
                **{CORRECTION_ARG: item.id},
            )
        return {
            "edit_url": edit_url,
            "attempts": corrections.attempts(db.session, item),
            "field_label": field_label,
            "status_label": request_status_label,
        }

    @expose("/ask-anonymise/", methods=("POST",))
    def ask_anonymise_view(self):
        item = self._request_or_404()
        user = current_user._get_current_object()
        return self._step(
            item,
            lambda: requests_service.ask_anonymise(db.session, item, user, current_actor()),
            _("Sent for approval: another person must approve the anonymisation."),
        )

    @expose("/approve-anonymise/", methods=("POST",))
    def approve_anonymise_view(self):
        item = self._request_or_404()
        user = current_user._get_current_object()
        return self._step(
            item,
            lambda: requests_service.approve_anonymise(db.session, item, user, current_actor()),
            _("The customer's personal data is anonymised."),
        )

    @expose("/answer/", methods=("POST",))
    def answer_view(self):
        item = self._request_or_404()
        user = current_user._get_current_object()
        refuse = request.form.get("refuse") == "1"
        note = request.form.get("answer_note", "")
        return self._step(
            item,
            lambda: requests_service.answer(
                db.session, item, user, current_actor(), note, refuse=refuse
            ),
            _("The answer is recorded."),
        )


def register(admin, db_) -> None:
    category = _l("Privacy")
    admin.add_view(
        SubjectRequestView(SubjectRequest, db_, name=_l("Customers' requests"), category=category)
    )
