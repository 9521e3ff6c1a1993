"""The retention review (/admin/retention/) and its periods (/admin/retention/periods/).

Supervisors and admins see every kind of record with its period, cut-off and how many are
past it; one asks for a batch, another approves or rejects it. The admin sets the periods.
Rules: services/privacy/retention.py and services/privacy/retention_periods.py.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from core.clock import office_time, office_today
from extensions import db
from services.privacy import retention as retention_service
from services.privacy import retention_periods
from views.shared.audit_context import current_actor
from views.shared.base import SecurePageView

STATUS_LABELS = {
    "pending": _l("Waiting for approval"),
    "done": _l("Carried out"),
    "rejected": _l("Rejected"),
}


def beijing(moment) -> str:
    """A stored (naive UTC) time as people read it: Beijing time, to the minute."""
    return office_time(moment)


def kind_label(code: str) -> str:
    kind = retention_periods.KINDS.get(code)
    return str(kind.label) if kind else code


def in_words(days: int) -> str:
    """Days as the period reads on the page: years or months when it is a whole number."""
    if days % 365 == 0:
        return _("%(days)s days (%(years)s years)", days=days, years=days // 365)
    if days % 30 == 0:
        return _("%(days)s days (%(months)s months)", days=days, months=days // 30)
    return _("%(days)s days", days=days)


def periods_form_class():
    """A form with one bounded number per kind, what the page showed, and the reason."""

    class PeriodsForm(FlaskForm):
        reason = TextAreaField(
            _l("Why the periods change"),
            validators=[Optional(), Length(max=retention_periods.REASON_MAX)],
        )

    for code, kind in retention_periods.KINDS.items():
        setattr(
            PeriodsForm,
            code,
            IntegerField(
                kind.label,
                validators=[
                    InputRequired(message=_l("Enter a number of days.")),
                    NumberRange(
                        kind.min_days,
                        kind.max_days,
                        message=_l("Between %(min)s and %(max)s days."),
                    ),
                ],
            ),
        )
        setattr(PeriodsForm, f"seen_{code}", HiddenField())
    return PeriodsForm


class RetentionView(SecurePageView):
    """Records past their retention period, and the batches that anonymise, clear or
    delete them."""

    @expose("/")
    def index(self):
        today = office_today()
        return self.render(
            "admin/retention.html",
            lines=retention_service.overview(db.session, today, current_user),
            pending=retention_service.pending_batches(db.session, current_user),
            history=retention_service.batch_history(db.session, current_user),
            period_changes=retention_periods.period_history(db.session),
            kind_label=kind_label,
            status_labels=STATUS_LABELS,
            beijing=beijing,
            in_words=in_words,
            form=FlaskForm(),
        )

    @expose("/request/", methods=("POST",))
    def request(self):
        if not FlaskForm().validate_on_submit():
            abort(400)
        kind = request.form.get("kind", "")
        try:
            retention_service.request_batch(
                db.session,
                current_user._get_current_object(),
                current_actor(),
                kind,
                office_today(),
            )
            db.session.commit()
        except retention_service.RetentionError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            flash(_("Asked; another supervisor or admin must approve it."), "info")
        return redirect(self.get_url(".index"))

    @expose("/decide/<int:batch_id>/", methods=("POST",))
    def decide(self, batch_id: int):
        if not FlaskForm().validate_on_submit():
            abort(400)
        user = current_user._get_current_object()
        # Another office's batch is not found (and the look is logged).
        batch = retention_service.visible_batch(db.session, batch_id, user) or abort(404)
        approve = request.form.get("decision") == "approve"
        try:
            done = retention_service.decide_batch(db.session, batch, user, current_actor(), approve)
            db.session.commit()
        except retention_service.RetentionError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            if approve:
                flash(_("Done: %(count)s records.", count=done), "info")
            else:
                flash(_("The batch was rejected."), "info")
        return redirect(self.get_url(".index"))

    @expose("/periods/", methods=("GET", "POST"))
    def periods(self):
        current = retention_periods.periods(db.session)
        form = periods_form_class()()
        if request.method == "GET":
            for code, days in current.items():
                form[code].data = days
                form[f"seen_{code}"].data = str(days)
        elif form.validate_on_submit():
            wanted = {code: form[code].data for code in retention_periods.KINDS}
            seen = {code: _int(form[f"seen_{code}"].data) for code in retention_periods.KINDS}
            try:
                changed = retention_periods.set_periods(
                    db.session,
                    current_user._get_current_object(),
                    current_actor(),
                    wanted,
                    seen,
                    form.reason.data,
                )
                db.session.commit()
            except retention_periods.RetentionError as exc:
                db.session.rollback()
                flash(str(exc), "error")
            else:
                if changed:
                    flash(_("The retention periods are saved."), "success")
                else:
                    flash(_("Nothing was changed."), "info")
                return redirect(self.get_url(".index"))
        return self.render(
            "admin/retention_periods.html",
            form=form,
            kinds=retention_periods.KINDS,
            current=current,
            in_words=in_words,
        )


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def register(admin, db_) -> None:
    admin.add_view(
        RetentionView(
            name=_l("Retention review"),
            endpoint="retention",
            url="/admin/retention",
            category=_l("Privacy"),
        )
    )
