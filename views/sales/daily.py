"""Spot checks for the supervisor (/admin/spot-checks/) and access alerts for the admin
(/admin/access-alerts/: the alerts, acknowledging one with a note, tuning the rules), plus
the ``flask alerts scan`` command. Thin: each POST calls one service and commits once."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import abort, flash, redirect, request, url_for
from flask.cli import AppGroup
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from core.clock import office_time
from extensions import db
from services.privacy import access_alerts
from services.sales import spot_checks
from services.sales.followups import office_today
from services.sales.sales_offices import sales_offices
from views.shared.audit_context import current_actor, log_in_own_transaction
from views.shared.base import SecurePageView

SPOT_ERRORS = {
    "already_drawn": _l("This week's sample has already been drawn; nothing was changed."),
    "nothing_to_draw": _l("No welcome card was first received this week; nothing to draw."),
    "invalid_size": _l("Choose a number of cards (1 to 200) or a percentage (1 to 100)."),
    "missing_note": _l("Say what differs from the paper card."),
    "not_found": _l("No such card in a sample."),
    "not_allowed": _l("Only a supervisor draws and checks samples."),
    "no_such_office": _l("Choose one of your offices."),
    "invalid": _l("Check the values you entered."),
}
ALERT_ERRORS = {
    "missing_note": _l("A note is required to acknowledge an alert."),
    "already_acknowledged": _l("This alert has already been acknowledged; nothing was changed."),
    "invalid_rule": _l(
        "Check the rule: a threshold of at least 1, office hours as HH:MM with the start "
        "before the end."
    ),
    "not_allowed": _l("Only the administrator tunes rules and acknowledges alerts."),
    "invalid": _l("Check the values you entered."),
}
RULE_LABELS = {
    "records_per_hour": _l("Customer records opened in one hour"),
    "export_rows_per_day": _l("Rows exported in one day"),
    "off_hours": _l("Sign-in outside office hours or on a non-working day"),
}
RESULT_LABELS = {"match": _l("matches the paper card"), "mismatch": _l("differs")}


def rule_label(code: str) -> str:
    return str(RULE_LABELS.get(code, code))


def _user():
    return current_user._get_current_object()


# --- spot checks --------------------------------------------------------------------------
class DrawForm(FlaskForm):
    unit = RadioField(
        _l("Sample"),
        choices=[("cards", _l("cards")), ("percent", _l("percent"))],
        default="cards",
    )
    size = IntegerField(_l("Size"), default=5, validators=[InputRequired(), NumberRange(1, 200)])
    # Checked by the service (one of the drawer's offices); absent for a one-office drawer.
    office = SelectField(_l("Office"), coerce=int, validate_choice=False, validators=[Optional()])


class ResultForm(FlaskForm):
    result = RadioField(
        _l("Result"), choices=list(RESULT_LABELS.items()), validators=[DataRequired()]
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class SpotChecksView(SecurePageView):
    @expose("/")
    def index(self):
        user = _user()
        week = spot_checks.week_start(office_today())
        offices = sales_offices(db.session, user)
        drawn = spot_checks.for_week(db.session, week, user)
        form = DrawForm()
        # Each office is drawn once a week: the choice holds the ones still to draw.
        form.office.choices = [(o.id, o.name) for o in offices if o.id not in drawn]
        return self.render(
            "admin/daily/spot_checks.html",
            week=week,
            week_end=week + timedelta(days=6),
            current=[(o, drawn[o.id]) for o in offices if o.id in drawn],
            history=spot_checks.history(db.session, user),
            form=form,
            show_office=len(offices) > 1,
            # The office's supervisor draws and checks; the admin reads every office's.
            checking=user.has_role("supervisor"),
        )

    @expose("/draw", methods=("POST",))
    def draw(self):
        form = DrawForm()
        if not form.validate_on_submit():
            flash(str(SPOT_ERRORS["invalid_size"]), "error")
            return redirect(url_for(".index"))
        amount = {"percent" if form.unit.data == "percent" else "size": form.size.data}
        try:
            check = spot_checks.draw(
                db.session, _user(), current_actor(), office_today(), form.office.data, **amount
            )
        except spot_checks.SpotCheckError as exc:
            db.session.rollback()
            flash(str(SPOT_ERRORS[exc.code]), "error")
            return redirect(url_for(".index"))
        db.session.commit()
        flash(
            _("%(n)d cards drawn for %(office)s.", n=check.sample_size, office=check.office.name),
            "success",
        )
        return redirect(url_for(".week", check_id=check.id))

    @expose("/<int:check_id>/")
    def week(self, check_id: int):
        # Another office's sample is not found.
        check = spot_checks.sample(db.session, check_id, _user())
        if check is None:
            abort(404)
        page = self.render(
            "admin/daily/spot_check.html",
            check=check,
            week_end=check.week_start + timedelta(days=6),
            form=ResultForm(),
            result_labels=RESULT_LABELS,
            checking=current_user.has_role("supervisor"),
        )
        log_in_own_transaction(
            "list",
            fail_closed=True,
            record_type="prospect",
            record_ids=[i.prospect_id for i in check.items],
        )
        return page

    @expose("/<int:check_id>/items/<int:item_id>", methods=("POST",))
    def check(self, check_id: int, item_id: int):
        form = ResultForm()
        if not form.validate_on_submit():
            flash(str(SPOT_ERRORS["invalid"]), "error")
            return redirect(url_for(".week", check_id=check_id))
        try:
            spot_checks.record_result(
                db.session, _user(), current_actor(), item_id, form.result.data, form.note.data
            )
        except spot_checks.SpotCheckError as exc:
            db.session.rollback()
            flash(str(SPOT_ERRORS[exc.code]), "error")
            return redirect(url_for(".week", check_id=check_id))
        db.session.commit()
        flash(_("Result saved."), "success")
        return redirect(url_for(".week", check_id=check_id) + f"#item-{item_id}")


# --- access alerts ------------------------------------------------------------------------
class AckForm(FlaskForm):
    note = TextAreaField(_l("Note"), validators=[DataRequired(), Length(max=2000)])


class RuleForm(FlaskForm):
    enabled = BooleanField(_l("Enabled"))
    threshold = IntegerField(_l("More than"), validators=[Optional(), NumberRange(1, 1_000_000)])
    day_starts = StringField(_l("Office hours from"), validators=[Optional(), Length(max=5)])
    day_ends = StringField(_l("Office hours until"), validators=[Optional(), Length(max=5)])


class AccessAlertsView(SecurePageView):
    @expose("/")
    def index(self):
        settings = access_alerts.rules(db.session)
        return self.render(
            "admin/daily/alerts.html",
            alerts=access_alerts.latest(db.session),
            ack_form=AckForm(),
            rule_forms={
                code: RuleForm(prefix=code, obj=s, formdata=None) for code, s in settings.items()
            },
            rule_label=rule_label,
        )

    @expose("/<int:alert_id>/ack", methods=("POST",))
    def ack(self, alert_id: int):
        form = AckForm()
        try:
            if not form.validate_on_submit():
                raise access_alerts.MissingNote
            access_alerts.acknowledge(
                db.session, _user(), current_actor(), alert_id, form.note.data
            )
        except access_alerts.AlertError as exc:
            db.session.rollback()
            flash(str(ALERT_ERRORS[exc.code]), "error")
            return redirect(url_for(".index"))
        db.session.commit()
        flash(_("Alert acknowledged."), "success")
        return redirect(
            request.form.get("back") == "home" and url_for("admin.index") or url_for(".index")
        )

    @expose("/rules/<code>", methods=("POST",))
    def rule(self, code: str):
        form = RuleForm(prefix=code)
        try:
            if code not in access_alerts.DEFAULTS or not form.validate_on_submit():
                raise access_alerts.InvalidRule
            access_alerts.save_rule(
                db.session,
                _user(),
                current_actor(),
                code,
                enabled=form.enabled.data,
                threshold=form.threshold.data,
                day_starts=(form.day_starts.data or "").strip() or None,
                day_ends=(form.day_ends.data or "").strip() or None,
            )
        except access_alerts.AlertError as exc:
            db.session.rollback()
            flash(str(ALERT_ERRORS[exc.code]), "error")
            return redirect(url_for(".index"))
        db.session.commit()
        flash(_("Rule saved."), "success")
        return redirect(url_for(".index"))


def register(admin, db) -> None:
    admin.add_view(
        SpotChecksView(
            name=_l("Spot checks"),
            endpoint="spot_checks",
            url="/admin/spot-checks",
            category=_l("Sales"),
        )
    )
    admin.add_view(
        AccessAlertsView(
            name=_l("Access alerts"),
            endpoint="access_alerts",
            url="/admin/access-alerts",
            category=_l("Administration"),
        )
    )


alerts_cli = AppGroup("alerts", help="Unusual-access alerts from the access log.")


@alerts_cli.command("scan")
@click.option("--hours", default=access_alerts.DEFAULT_SCAN_HOURS, show_default=True)
def scan_command(hours: int):
    """Raise the alerts of the last HOURS not raised yet (safe to run again and again)."""
    raised = access_alerts.scan(db.session, hours=hours)
    db.session.commit()
    click.echo(f"{len(raised)} new alert(s)")
    for alert in raised:
        click.echo(
            f"  {alert.rule_code} {alert.username} {office_time(alert.window_start)}"
            f" (Beijing time): {alert.value}"
        )


def register_cli(app) -> None:
    app.cli.add_command(alerts_cli)
