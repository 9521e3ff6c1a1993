"""Customers' requests about their data (/admin/subject_request/) and the retention review
(/admin/retention/). Rules: services/subject_requests.py."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, request
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select
from wtforms import fields
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from extensions import db
from models.privacy import RetentionBatch, SubjectRequest
from services import access
from services import subject_requests as requests_service
from services.clock import office_today
from views.audit_context import current_actor
from views.base import SecureModelView, SecurePageView

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
    person = requests_service.subject_of(db.session, model.subject_type, model.subject_id)
    label = dict(SUBJECT_CHOICES).get(model.subject_type, model.subject_type)
    return f"{label} #{model.subject_id} {person.name if person else ''}"


class SubjectRequestView(SecureModelView):
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
    form_columns = ("kind", "subject_type", "subject_id", "received_on", "note")
    form_overrides = {
        "kind": fields.SelectField,
        "subject_type": fields.SelectField,
        "note": fields.TextAreaField,
    }
    form_args = {
        "kind": {"choices": KIND_CHOICES, "validators": [DataRequired()]},
        "subject_type": {"choices": SUBJECT_CHOICES, "validators": [DataRequired()]},
        "subject_id": {"validators": [DataRequired(), NumberRange(min=1)]},
        "received_on": {"validators": [DataRequired()], "default": office_today},
        "note": {"validators": [Optional(), Length(max=2000)]},
    }
    extra_endpoint_rights = {
        "copy_view": access.DETAILS,
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

    @expose("/copy/", methods=("POST",))
    def copy_view(self):
        item = self._request_or_404()
        if item.kind != "copy":
            abort(404)
        try:
            data = requests_service.copy_workbook(db.session, item, current_actor())
            db.session.commit()
        except requests_service.RequestError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(self.get_url(".details_view", id=item.id))
        return Response(
            data,
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={
                "Content-Disposition": f"attachment;filename=request-{item.id}-copy.xlsx",
                "Cache-Control": "no-store",
            },
        )

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


class RetentionView(SecurePageView):
    """Records past their retention period, and the batches that anonymise them."""

    @expose("/")
    def index(self):
        days = current_app.config["RETENTION_DAYS"]["prospect"]
        cutoff = requests_service.cutoff_for(office_today(), days)
        candidates = requests_service.retention_candidates(db.session, "prospect", cutoff)
        count = db.session.scalar(select(db.func.count()).select_from(candidates.subquery()))
        batches = db.session.scalars(
            select(RetentionBatch).order_by(RetentionBatch.id.desc()).limit(20)
        ).all()
        return self.render(
            "admin/retention.html", days=days, cutoff=cutoff, count=count, batches=batches
        )

    @expose("/request/", methods=("POST",))
    def request(self):
        if not FlaskForm().validate_on_submit():
            abort(400)
        days = current_app.config["RETENTION_DAYS"]["prospect"]
        cutoff = requests_service.cutoff_for(office_today(), days)
        try:
            requests_service.request_batch(
                db.session, current_user._get_current_object(), current_actor(), "prospect", cutoff
            )
            db.session.commit()
        except requests_service.RequestError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            flash(_("Anonymisation asked; another supervisor or admin must approve it."), "info")
        return redirect(self.get_url(".index"))

    @expose("/decide/<int:batch_id>/", methods=("POST",))
    def decide(self, batch_id: int):
        if not FlaskForm().validate_on_submit():
            abort(400)
        batch = db.session.get(RetentionBatch, batch_id) or abort(404)
        approve = request.form.get("decision") == "approve"
        try:
            done = requests_service.decide_batch(
                db.session, batch, current_user._get_current_object(), current_actor(), approve
            )
            db.session.commit()
        except requests_service.RequestError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            if approve:
                flash(_("%(count)s records anonymised.", count=done), "info")
            else:
                flash(_("The anonymisation was rejected."), "info")
        return redirect(self.get_url(".index"))


def register(admin, db_) -> None:
    category = _l("Privacy")
    admin.add_view(
        SubjectRequestView(SubjectRequest, db_, name=_l("Customers' requests"), category=category)
    )
    admin.add_view(
        RetentionView(
            name=_l("Retention review"),
            endpoint="retention",
            url="/admin/retention",
            category=category,
        )
    )
