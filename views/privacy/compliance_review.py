"""The compliance review (/admin/compliance-review/): the figures of a chosen period, each
linking to the list behind it, the access log's chain verified, and an A4 print.

Opened by the admin and the outside auditor (core/access.py PAGES). The figures and lists are
services/privacy/compliance_review.py's; this module reads the period from the query, formats
values for people and logs each look (``report``, ``print``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import abort, request
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField
from wtforms.validators import InputRequired

from core import access
from core.clock import office_time, office_today
from extensions import db
from services.privacy import compliance_review as review_service
from views.privacy.audit import OUTCOME_LABELS, action_label
from views.privacy.subject_requests import KIND_CHOICES, STATUS_CHOICES
from views.shared.approvals import record_type_label
from views.shared.audit_context import log_in_own_transaction
from views.shared.base import SecurePageView

#: The period shown first: the last 30 office days.
DEFAULT_DAYS = 30
_KINDS = dict(KIND_CHOICES)
_STATUSES = dict(STATUS_CHOICES)
_OUTCOMES = dict(OUTCOME_LABELS)


class PeriodForm(FlaskForm):
    """A GET form that changes nothing: no CSRF token in the address."""

    class Meta:
        csrf = False

    start = DateField(_l("From"), validators=[InputRequired()])
    end = DateField(_l("To"), validators=[InputRequired()])


def figure_value(figure: review_service.Figure) -> str:
    value = figure.value
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if figure.percent:
        return f"{value * 100:.0f}%"
    return str(value)


def cell(key: str, value) -> str:
    """One value of a list as people read it: labels for codes, office time, words for flags."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime | date):
        return office_time(value)
    if key == "rate":
        return f"{value * 100:.0f}%"
    labels = {
        "role": access.role_label,
        "action": action_label,
        "record_type": record_type_label,
        "kind": lambda code: str(_KINDS.get(code, code)),
        "status": lambda code: str(_STATUSES.get(code, code)),
        "outcome": lambda code: str(_OUTCOMES.get(code, code)),
    }
    return labels[key](value) if key in labels else str(value)


def _period_from_query() -> tuple[PeriodForm, review_service.Period | None, str | None]:
    """The form bound to the query (or the default period) and the period it holds."""
    today = office_today()
    if "start" in request.args or "end" in request.args:
        form = PeriodForm(request.args)
        if not form.validate():
            return form, None, _("Give the first and the last day of the period as dates.")
    else:
        form = PeriodForm(
            data={"start": today - timedelta(days=DEFAULT_DAYS - 1), "end": today}, formdata=None
        )
    try:
        return form, review_service.period(form.start.data, form.end.data), None
    except review_service.PeriodError as exc:
        return form, None, str(exc)


class ComplianceReviewView(SecurePageView):
    def _figures(self, period):
        return [
            (section, [(figure, figure_value(figure)) for figure in figures])
            for section, figures in review_service.review(db.session, period)
        ]

    @expose("/")
    def index(self):
        form, period, problem = _period_from_query()
        sections = self._figures(period) if period is not None else []
        page = self.render(
            "admin/privacy/compliance_review.html",
            form=form,
            period=period,
            problem=problem,
            sections=sections,
        )
        if period is not None:
            log_in_own_transaction("report", fail_closed=True)
        return page, (200 if problem is None else 400)

    @expose("/rows/")
    def rows(self):
        _form, period, problem = _period_from_query()
        code, key = request.args.get("section", ""), request.args.get("key", "")
        found = review_service.section(code)
        if period is None or found is None:
            abort(404)
        table = review_service.rows(db.session, period, code, key[:100])
        if table is None:
            abort(404)
        page = self.render(
            "admin/privacy/compliance_rows.html",
            section=found,
            period=period,
            table=table,
            cell=cell,
            shown=len(table.rows),
        )
        log_in_own_transaction("report", fail_closed=True)
        return page

    @expose("/print/")
    def print(self):
        _form, period, problem = _period_from_query()
        if period is None:
            abort(404)
        page = self.render(
            "print/compliance_review.html",
            period=period,
            sections=self._figures(period),
            printed_on=office_today(),
        )
        log_in_own_transaction("print", fail_closed=True)
        return page


def register(admin, db) -> None:
    admin.add_view(
        ComplianceReviewView(
            name=_l("Compliance review"),
            endpoint="compliance_review",
            url="/admin/compliance-review",
            category=_l("Administration"),
        )
    )
