"""Sales pages: my follow-ups and the team's, customers not contacted, the day's cards
against the evening report, the weekly B/C count with its snapshots and chart, dealers'
data-card deadlines, and identity checks on a welcome card.

Thin views: each parses the request, calls services/, commits once and renders."""

from __future__ import annotations

from datetime import date

import click
from flask import abort, current_app, flash, redirect, request, url_for
from flask.cli import with_appcontext
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from extensions import db
from models.admin.people import User
from services.dealers import dealer_deadlines
from services.privacy import audit
from services.sales import followups, sales_records, weekly_count
from services.sales.consultants import consultants as receiving_accounts
from services.sales.consultants import in_offices_of
from services.sales.ownership import card_for
from services.sales.sales_offices import sales_offices
from views.sales.sales_chart import trend_svg
from views.shared.audit_context import current_actor, log_in_own_transaction
from views.shared.base import SecurePageView

CATEGORY = _l("Sales")
IDENTITY_LABELS = {
    "id_shown": _l("ID shown at an appointment"),
    "phone_callback": _l("Phone call-back"),
    "on_site": _l("Seen on site"),
}
STATUS_LABELS = {
    "overdue": _l("Overdue"),
    "due": _l("Due now"),
    "soon": _l("Due soon"),
    "late": _l("Late"),
}
KIND_LABELS = {"first": _l("First follow-up"), "appointment": _l("Appointment")}


def _user():
    return current_user._get_current_object()


def _consultants() -> list[User]:
    # The consultants of the user's offices only: another office's team is not theirs to see.
    return receiving_accounts(db.session, seen_by=_user())


def _consultant_or_404(consultant_id: int | None) -> User | None:
    """The consultant asked for, when one of the user's offices' consultants; else 404
    (another office's consultant and their cards are not found)."""
    if not consultant_id:
        return None
    found = db.session.scalar(select(User).where(User.id == consultant_id, in_offices_of(_user())))
    if found is None:
        abort(404)
    return found


def _team_filter() -> int | None:
    """The consultant a supervisor narrows the team view to (consultants see their own)."""
    if not current_user.has_role("supervisor"):
        return None
    consultant = _consultant_or_404(request.args.get("consultant", type=int))
    return consultant.id if consultant else None


def _log_list(ids, **fields) -> None:
    # Lists of customer names are customer data: their look is logged, or not shown.
    log_in_own_transaction(
        "list", fail_closed=True, record_type="prospect", record_ids=ids, **fields
    )


class FollowUpsView(SecurePageView):
    @expose("/")
    def index(self):
        today = followups.office_today()
        stale = current_app.config.get("STALE_CONTACT_DAYS", followups.DEFAULT_STALE_DAYS)
        consultant_id = _team_filter()
        groups = followups.due_list(
            db.session, _user(), today, consultant_id=consultant_id, stale_days=stale
        )
        upcoming = followups.appointments(
            db.session, _user(), today, consultant_id=consultant_id, stale_days=0, ahead_days=30
        )
        upcoming = [a for a in upcoming if a.due_from > today]
        _log_list(
            sorted(
                {f.prospect_id for items in groups.values() for f in items}
                | {a.prospect_id for a in upcoming}
            )
        )
        consultants = _consultants()
        return self.render(
            "admin/sales/followups.html",
            today=today,
            groups=[(key, STATUS_LABELS[key], groups[key]) for key in ("overdue", "due", "soon")],
            upcoming=upcoming,
            kind_labels=KIND_LABELS,
            consultants=consultants,
            names={u.id: u.full_name for u in consultants},
            selected=consultant_id,
            team=current_user.has_role("supervisor"),
        )

    @expose("/not-contacted/")
    def stale(self):
        today = followups.office_today()
        days = current_app.config.get("STALE_CONTACT_DAYS", followups.DEFAULT_STALE_DAYS)
        consultant_id = _team_filter()
        rows = followups.not_contacted(
            db.session, _user(), today, days=days, consultant_id=consultant_id
        )
        _log_list([r.prospect_id for r in rows])
        consultants = _consultants()
        return self.render(
            "admin/sales/stale.html",
            rows=rows,
            days=days,
            consultants=consultants,
            names={u.id: u.full_name for u in consultants},
            selected=consultant_id,
            team=current_user.has_role("supervisor"),
        )


class DayReportForm(FlaskForm):
    consultant = HiddenField(validators=[DataRequired()])
    day = DateField(_l("Day"), validators=[DataRequired()])
    reported_count = IntegerField(
        _l("Reported at the evening meeting"), validators=[InputRequired(), NumberRange(0, 999)]
    )


class DayCardsView(SecurePageView):
    @expose("/")
    def index(self):
        consultants = _consultants()
        day = _date_arg("day") or followups.office_today()
        consultant = _consultant_or_404(request.args.get("consultant", type=int))
        consultant_id = consultant.id if consultant else None
        cards = None
        if consultant_id:
            cards = sales_records.day_cards(db.session, consultant_id, day, _user())
            _log_list([v.prospect_id for v in (*cards.visits, *cards.scout_visits)])
        form = DayReportForm(
            formdata=None,
            consultant=consultant_id,
            day=day,
            reported_count=cards.reported if cards else None,
        )
        return self.render(
            "admin/sales/day_cards.html",
            consultants=consultants,
            names={u.id: u.full_name for u in consultants},
            selected=consultant_id,
            day=day,
            cards=cards,
            form=form,
        )

    @expose("/report", methods=("POST",))
    def report(self):
        form = DayReportForm()
        if not form.validate_on_submit():
            abort(400)
        consultant = _consultant_or_404(_int(form.consultant.data)) or abort(404)
        sales_records.record_day_report(
            db.session, _user(), consultant.id, form.day.data, form.reported_count.data
        )
        audit.record(
            db.session,
            current_actor(),
            "day_report",
            record_type="user",
            record_id=consultant.id,
            path=request.path,
        )
        db.session.commit()
        flash(_("Reported count saved."), "success")
        return redirect(url_for(".index", consultant=consultant.id, day=form.day.data.isoformat()))


#: The office choice that takes the snapshot of each of the supervisor's offices.
EACH_OFFICE = 0


class SnapshotForm(FlaskForm):
    week = DateField(_l("Saturday"), validators=[DataRequired()])
    # The service checks the office is one of the taker's (validate_choice would 400 a
    # stale page's choice instead of saying so).
    office = SelectField(_l("Office"), coerce=int, validate_choice=False, validators=[Optional()])
    force = BooleanField(_l("Replace the stored figures of that week"))


def _snapshot_form(offices, **data) -> SnapshotForm:
    form = SnapshotForm(**data)
    form.office.choices = [(o.id, o.name) for o in offices]
    if len(offices) > 1:
        form.office.choices.insert(0, (EACH_OFFICE, _("Each of my offices")))
    return form


class WeeklyCountView(SecurePageView):
    @expose("/")
    def index(self):
        today, user = followups.office_today(), _user()
        points = weekly_count.trend(db.session, user, weeks=26)
        week = _date_arg("week") or (points[-1].week_ending if points else None)
        offices = weekly_count.snapshot_rows(db.session, week, user) if week else []
        consultants = _consultants()
        labels = {"b": _("B customers"), "c": _("C customers")}
        chart = trend_svg(points, title=_("B and C customers per week"), labels=labels)
        choices = sales_offices(db.session, user)
        form = _snapshot_form(choices, formdata=None, week=weekly_count.last_saturday(today))
        return self.render(
            "admin/sales/weekly.html",
            points=points,
            chart=chart if points else None,
            week=week,
            offices=offices,
            names={u.id: u.full_name for u in consultants},
            live=weekly_count.count_as_of(db.session, today, user),
            form=form,
            show_office=len(choices) > 1,
            # The office's supervisor takes the count; the admin reads every office's.
            taking=user.has_role("supervisor"),
        )

    @expose("/snapshot", methods=("POST",))
    def snapshot(self):
        user = _user()
        offices = sales_offices(db.session, user)
        form = _snapshot_form(offices)
        if not form.validate_on_submit():
            abort(400)
        saturday = form.week.data
        chosen = form.office.data
        # None (no choice shown): the only office of a one-office supervisor.
        office_ids = [o.id for o in offices] if chosen == EACH_OFFICE else [chosen]
        try:
            results = [
                weekly_count.take_snapshot(
                    db.session, user, saturday, office_id, force=bool(form.force.data)
                )
                for office_id in office_ids
            ]
            if not results:
                raise weekly_count.NoSuchOffice(None)
        except weekly_count.NotASaturday:
            db.session.rollback()
            flash(_("Pick a Saturday: the weekly count is taken as of Saturdays."), "error")
            return redirect(url_for(".index"))
        except weekly_count.NoSuchOffice:
            db.session.rollback()
            flash(_("Choose one of your offices."), "error")
            return redirect(url_for(".index"))
        for result in results:
            if result.created:
                audit.record(
                    db.session,
                    current_actor(),
                    "weekly_snapshot",
                    record_type="weekly_count",
                    record_id=result.office.id,
                    path=request.path,
                )
                flash(
                    _(
                        "Weekly count of %(day)s saved for %(office)s.",
                        day=saturday.isoformat(),
                        office=result.office.name,
                    ),
                    "success",
                )
            else:
                flash(
                    _(
                        "The week of %(day)s was already counted for %(office)s; its figures "
                        "are kept.",
                        day=saturday.isoformat(),
                        office=result.office.name,
                    ),
                    "info",
                )
        db.session.commit()
        return redirect(url_for(".index", week=saturday.isoformat()))


class DealerDeadlinesView(SecurePageView):
    @expose("/")
    def index(self):
        today, user = followups.office_today(), _user()
        rows = dealer_deadlines.missing_cards(db.session, user, today)
        files = dealer_deadlines.missing_files(db.session, user, today)
        gaps = dealer_deadlines.directory_gaps(db.session, user)
        shown = [r.dealer_id for r in rows] + [r.dealer_id for r in files + gaps]
        if shown:
            # dealer names are the region's customer data: their look is logged
            log_in_own_transaction("list", fail_closed=True, record_type="dealer", record_ids=shown)
        return self.render(
            "admin/sales/dealer_deadlines.html",
            rows=rows,
            files=files,
            gaps=gaps,
            today=today,
            status_labels=STATUS_LABELS,
            any_uncertain=any(r.uncertain for r in rows + files),
        )


class IdentityForm(FlaskForm):
    prospect = HiddenField(validators=[DataRequired()])
    method = SelectField(
        _l("How"), choices=list(IDENTITY_LABELS.items()), validators=[DataRequired()]
    )
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])


class IdentityChecksView(SecurePageView):
    def is_visible(self) -> bool:
        return False  # reached from a welcome card, not from the menu

    @expose("/")
    def index(self):
        # Another office's card, or another consultant's, is not found (services/sales/ownership.py).
        prospect = card_for(db.session, _user(), request.args.get("prospect", type=int))
        if prospect is None:
            abort(404)
        checks = sales_records.identity_checks(db.session, prospect.id)
        log_in_own_transaction(
            "details", fail_closed=True, record_type="prospect", record_id=prospect.id
        )
        return self.render(
            "admin/sales/identity.html",
            prospect=prospect,
            checks=checks,
            labels=IDENTITY_LABELS,
            form=IdentityForm(formdata=None, prospect=prospect.id),
        )

    @expose("/record", methods=("POST",))
    def record(self):
        form = IdentityForm()
        if not form.validate_on_submit():
            abort(400)
        prospect_id = _int(form.prospect.data)
        if card_for(db.session, _user(), prospect_id) is None:
            abort(404)
        try:
            sales_records.record_identity_check(
                db.session, _user(), prospect_id, form.method.data, form.note.data
            )
        except LookupError:
            db.session.rollback()
            abort(404)
        audit.record(
            db.session,
            current_actor(),
            "identity_check",
            record_type="prospect",
            record_id=prospect_id,
            path=request.path,
        )
        db.session.commit()
        flash(_("Identity check recorded."), "success")
        return redirect(url_for(".index", prospect=prospect_id))


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        abort(400)


PAGES = (
    (FollowUpsView, "followups", "/admin/sales/followups", _l("My follow-ups")),
    (DayCardsView, "day_cards", "/admin/sales/day-cards", _l("Day's cards")),
    (WeeklyCountView, "weekly_count", "/admin/sales/weekly", _l("Weekly B/C count")),
    (
        DealerDeadlinesView,
        "dealer_deadlines",
        "/admin/sales/dealer-deadlines",
        _l("Dealer data-card deadlines"),
    ),
    (IdentityChecksView, "identity_checks", "/admin/sales/identity", _l("Identity checks")),
)


def register(admin, db) -> None:
    for view_class, endpoint, url, name in PAGES:
        admin.add_view(view_class(name=name, endpoint=endpoint, url=url, category=CATEGORY))


@click.command("weekly-snapshot")
@with_appcontext
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="A day of the week to count (its Saturday, or the last Saturday); default today.",
)
@click.option("--force", is_flag=True, help="Replace a week already counted.")
def weekly_snapshot_command(day, force: bool):
    """Store the B/C count of the last Saturday of every selling office (for a scheduler,
    e.g. every Saturday night)."""
    saturday = weekly_count.last_saturday(day.date() if day else followups.office_today())
    for office in sales_offices(db.session, None):
        result = weekly_count.take_snapshot(db.session, None, saturday, office.id, force=force)
        if result.created:
            audit.record(
                db.session,
                audit.SYSTEM,
                "weekly_snapshot",
                record_type="weekly_count",
                record_id=office.id,
            )
        total = result.rows[0]
        state = "saved" if result.created else "already counted, kept"
        click.echo(
            f"{saturday.isoformat()} {office.name}: B {total.b_count}, C {total.c_count} ({state})"
        )
    db.session.commit()


def register_cli(app) -> None:
    app.cli.add_command(weekly_snapshot_command)
