"""Customers' complaints and feedback (/admin/complaint/): registered against the customer
(picked by name or phone), listed by due date with late ones in red, answered and closed
with what was improved through the steps on the details page. Rules: services/care/complaints.py.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import BaseSQLAFilter, FilterEqual
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import inspect, select
from wtforms import fields
from wtforms.validators import DataRequired, Length

from core import access
from core.clock import office_time, office_today
from extensions import db
from forms.admin.reference import consultant_filter
from forms.sales.consultants import ConsultantField
from models.care.complaints import Complaint
from services.care import complaints as complaints_service
from views.shared.audit_context import current_actor, log_in_own_transaction
from views.shared.base import SecureModelView, current_role
from views.shared.customer_picker import CustomerPickerMixin, customer_label

CHANNEL_CHOICES = [
    ("in_person", _l("In person")),
    ("phone", _l("By phone")),
    ("letter", _l("By letter")),
    ("online", _l("Online")),
    ("other", _l("Other channel")),
]
CATEGORY_CHOICES = [
    ("service", _l("Service")),
    ("property", _l("Property management")),
    ("sales", _l("Sales")),
    ("privacy", _l("Personal data")),
    ("other", _l("Other matter")),
]
STATUS_CHOICES = [
    ("open", _l("Waiting for the answer")),
    ("answered", _l("Answered")),
    ("closed", _l("Closed with improvement")),
]
YES_NO = [("1", _l("Yes")), ("0", _l("No"))]


class OverdueFilter(BaseSQLAFilter):
    """Open and past the due date (the office's today), or the opposite."""

    def __init__(self, name):
        super().__init__(Complaint.due_on, name, options=YES_NO)

    def apply(self, query, value, alias=None):
        late = complaints_service.overdue_condition(office_today())
        return query.filter(late if value == "1" else ~late)

    def operation(self):
        return _l("equals")


#: The list's filters by name; their position is their URL argument (flt0_<position>).
FILTERS = {
    "status": FilterEqual(Complaint.status, _l("Status"), options=STATUS_CHOICES),
    "category": FilterEqual(Complaint.category, _l("Category"), options=CATEGORY_CHOICES),
    "channel": FilterEqual(Complaint.channel, _l("Received through"), options=CHANNEL_CHOICES),
    "handler": consultant_filter(Complaint.handler_id, _l("Handler")),
    "overdue": OverdueFilter(_l("Overdue")),
}


def list_url(**chosen) -> str:
    """The complaint list with the named filters set, e.g. list_url(status="open")."""
    names = list(FILTERS)
    args = {
        f"flt{n}_{names.index(name)}": str(value) for n, (name, value) in enumerate(chosen.items())
    }
    return url_for("complaint.index_view", **args)


def is_overdue(model: Complaint) -> bool:
    return model.status == "open" and model.due_on < office_today()


def _due(view, context, model, name):
    # Late and still unanswered: red, so the list by due date reads at a glance.
    text = model.due_on.isoformat()
    if is_overdue(model):
        return Markup(
            '<span class="text-danger font-weight-bold complaint-overdue">{} {}</span>'
        ).format(text, _("(overdue)"))
    return text


def _customer(view, context, model, name):
    return customer_label(db.session, model.subject_type, model.subject_id)


def _customer_detail(view, context, model, name):
    label = _customer(view, context, model, name)
    if access.can(current_role(), model.subject_type, access.DETAILS):
        url = url_for(f"{model.subject_type}.details_view", id=model.subject_id)
        return Markup('<a href="{}" id="complaint-customer">{}</a>').format(url, label)
    return label


def _beijing(view, context, model, name):
    return office_time(getattr(model, name))


def _person(view, context, model, name):
    user = getattr(model, name)
    return user.full_name if user is not None else ""


def _multiline(view, context, model, name):
    value = getattr(model, name)
    if not value:
        return ""
    return Markup('<div style="white-space: pre-wrap">{}</div>').format(value)


class ComplaintView(CustomerPickerMixin, SecureModelView):
    access_key = "complaint"
    details_template = "admin/model/complaint_details.html"
    column_list = ("id", "customer", "received_on", "category", "handler", "due_on", "status")
    column_details_list = (
        "id",
        "customer",
        "received_on",
        "channel",
        "category",
        "summary",
        "handler",
        "due_on",
        "status",
        "answer",
        "answered_by",
        "answered_at",
        "improvement",
        "closed_by",
        "closed_at",
        "registered_by",
        "registered_at",
    )
    column_default_sort = ("due_on", False)
    column_sortable_list = ("received_on", "due_on", "status", "category")
    column_filters = tuple(FILTERS.values())
    column_choices = {
        "channel": CHANNEL_CHOICES,
        "category": CATEGORY_CHOICES,
        "status": STATUS_CHOICES,
    }
    column_formatters = {
        "due_on": _due,
        "customer": _customer,
        "handler": _person,
    }
    column_formatters_detail = {
        "due_on": _due,
        "customer": _customer_detail,
        "summary": _multiline,
        "answer": _multiline,
        "improvement": _multiline,
        "handler": _person,
        "answered_by": _person,
        "closed_by": _person,
        "registered_by": _person,
        "answered_at": _beijing,
        "closed_at": _beijing,
        "registered_at": _beijing,
    }
    column_labels = {
        "id": _l("No."),
        "customer": _l("Customer"),
        "received_on": _l("Received on"),
        "channel": _l("Received through"),
        "category": _l("Category"),
        "summary": _l("What the customer said"),
        "handler": _l("Handler"),
        "due_on": _l("Answer due"),
        "status": _l("Status"),
        "answer": _l("Answer to the customer"),
        "answered_by": _l("Answered by"),
        "answered_at": _l("Answered at"),
        "improvement": _l("What was changed or improved"),
        "closed_by": _l("Closed by"),
        "closed_at": _l("Closed at"),
        "registered_by": _l("Registered by"),
        "registered_at": _l("Registered at"),
    }
    form_columns = ("customer", "received_on", "channel", "category", "summary", "handler")
    form_overrides = {
        "channel": fields.SelectField,
        "category": fields.SelectField,
        "summary": fields.TextAreaField,
        "handler": ConsultantField,
    }
    form_args = {
        "received_on": {"validators": [DataRequired()], "default": office_today},
        "channel": {"choices": CHANNEL_CHOICES, "validators": [DataRequired()]},
        "category": {"choices": CATEGORY_CHOICES, "validators": [DataRequired()]},
        "summary": {
            "validators": [DataRequired(), Length(max=complaints_service.TEXT_MAX)],
        },
        "handler": {
            "query_factory": lambda: complaints_service.eligible_handlers(db.session, current_user),
            "allow_blank": True,
            "blank_text": "—",
        },
    }
    extra_endpoint_rights = {
        # assigning and closing decide about the complaint: the supervisor's edit right
        "complaint_assign_view": access.EDIT,
        "complaint_close_view": access.EDIT,
        # answering is done by the handler (a clerk may be one) or a supervisor
        "complaint_answer_view": access.CREATE,
    }

    # --- the list -------------------------------------------------------------------------
    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        count, rows = super().get_list(
            page, sort_column, sort_desc, search, filters, execute=execute, page_size=page_size
        )
        if execute:
            g.complaint_customers = _load_customers(rows)
        return count, rows

    # --- saving ---------------------------------------------------------------------------
    def on_model_change(self, form, model, is_created):
        user = current_user._get_current_object()
        if is_created:
            complaints_service.register(db.session, model, user, current_actor())
            return
        state = inspect(model)
        if state.attrs.received_on.history.has_changes():
            complaints_service.received_on_changed(db.session, model)
        if state.attrs.handler.history.has_changes():
            # the form sets the relationship; its id reaches handler_id only at the flush
            handler_id = model.handler.id if model.handler is not None else None
            with db.session.no_autoflush:
                complaints_service.check_handler(db.session, handler_id, model.office_id)

    def handle_view_exception(self, exc: Exception) -> bool:
        if isinstance(exc, complaints_service.ComplaintError):
            flash(str(exc), "error")
            return True
        return super().handle_view_exception(exc)

    # --- the details page's steps ---------------------------------------------------------
    def handler_choices(self):
        return complaints_service.eligible_handlers(db.session, current_user)

    def may_answer(self, model: Complaint) -> bool:
        user = current_user
        return (
            model.status == "open"
            and access.CREATE in self.rights
            and (model.handler_id == user.id or user.role_code in complaints_service.SUPERVISORS)
        )

    def may_decide(self, model: Complaint) -> bool:
        return (
            access.EDIT in self.rights and current_user.role_code in complaints_service.SUPERVISORS
        )

    def typed(self, name: str) -> str:
        """What the person typed into a step's form that was refused (shown again)."""
        return g.get("complaint_typed", {}).get(name, "")

    def is_overdue(self, model: Complaint) -> bool:
        return is_overdue(model)

    def _complaint_or_404(self) -> Complaint:
        if not FlaskForm().validate_on_submit():
            abort(400)
        return self.get_one(request.args.get("id"))

    def _step(self, item: Complaint, run, done_message: str, typed: dict[str, str]):
        try:
            if request.form.get("version") != str(item.version):
                raise complaints_service.ComplaintError(
                    _("This complaint changed after the page was shown. Look at it again.")
                )
            run()
            db.session.commit()
        except complaints_service.ComplaintError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            # The page again with what was typed, so nothing has to be written twice; it
            # shows the complaint, so the look is logged like any details page.
            g.complaint_typed = typed
            log_in_own_transaction(
                "details", fail_closed=True, record_type=self.access_key, record_id=item.id
            )
            return self.details_view()
        flash(done_message, "info")
        return redirect(self.get_url(".details_view", id=item.id))

    @expose("/assign/", methods=("POST",))
    def complaint_assign_view(self):
        item = self._complaint_or_404()
        user = current_user._get_current_object()
        handler_id = request.form.get("handler_id", type=int)
        return self._step(
            item,
            lambda: complaints_service.assign(db.session, item, handler_id, user, current_actor()),
            _("The handler is recorded."),
            {},
        )

    @expose("/answer/", methods=("POST",))
    def complaint_answer_view(self):
        item = self._complaint_or_404()
        user = current_user._get_current_object()
        text = request.form.get("answer", "")[: complaints_service.TEXT_MAX]
        return self._step(
            item,
            lambda: complaints_service.answer(db.session, item, user, current_actor(), text),
            _("The answer is recorded."),
            {"answer": text},
        )

    @expose("/close/", methods=("POST",))
    def complaint_close_view(self):
        item = self._complaint_or_404()
        user = current_user._get_current_object()
        text = request.form.get("improvement", "")[: complaints_service.TEXT_MAX]
        return self._step(
            item,
            lambda: complaints_service.close(db.session, item, user, current_actor(), text),
            _("The complaint is closed with what was improved."),
            {"improvement": text},
        )


def _load_customers(rows) -> list:
    """The page's customers in one query per kind, so each row's label is read from the
    session's identity map instead of one query per row; kept on ``g`` for the render."""
    from services.care.complaints import MODELS

    wanted: dict[str, set[int]] = {}
    for row in rows:
        wanted.setdefault(row.subject_type, set()).add(row.subject_id)
    loaded = []
    for subject_type, ids in wanted.items():
        model = MODELS.get(subject_type)
        if model is not None:
            loaded.extend(db.session.scalars(select(model).where(model.id.in_(ids))))
    return loaded


def register(admin, db_) -> None:
    admin.add_view(
        ComplaintView(Complaint, db_, name=_l("Complaints"), category=_l("Customer service"))
    )
