"""The incident register (/admin/incidents/): the admin's, a supervisor may open one and see
their own. The incident page: what happened and the art. 57 items, the 4-hour report clock
(Beijing time), the query of affected customers on the access log and the saved list, a
notification letter per customer (A4 print) and "mark as sent".

Rules: services/admin/incidents.py.
"""

from __future__ import annotations

from datetime import datetime

from flask import abort, flash, redirect
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from core.clock import MINUTE_FORMAT, in_office_zone, office_today, utc_from_office
from core.masking import mask_phone
from extensions import db
from models.admin.people import User
from models.base import utcnow
from services.admin import incidents
from views.shared.audit_context import current_actor, log_in_own_transaction
from views.shared.base import SecurePageView

ITEM_FIELDS = dict(incidents.NOTICE_ITEMS)


def _parse_moment(text: str | None) -> datetime | None:
    """A moment typed in Beijing time ("2026-12-06 09:30" or the browser's "...T09:30")."""
    value = (text or "").strip().replace("T", " ")
    try:
        return utc_from_office(datetime.strptime(value, MINUTE_FORMAT))
    except ValueError:
        return None


def _shown(moment: datetime | None) -> str:
    return in_office_zone(moment).strftime(MINUTE_FORMAT) if moment else ""


class IncidentForm(FlaskForm):
    title = StringField(
        _l("Short title"),
        validators=[
            InputRequired(message=_l("Give the incident a short title.")),
            Length(max=incidents.TITLE_MAX),
        ],
    )
    found_at = StringField(
        _l("Found at (Beijing time)"),
        validators=[InputRequired(message=_l("Enter a moment like 2026-12-06 09:30."))],
    )
    what_happened = TextAreaField(_l("What happened"), validators=[Length(max=incidents.TEXT_MAX)])
    data_categories = TextAreaField(
        ITEM_FIELDS["data_categories"], validators=[Length(max=incidents.TEXT_MAX)]
    )
    cause = TextAreaField(ITEM_FIELDS["cause"], validators=[Length(max=incidents.TEXT_MAX)])
    measures = TextAreaField(ITEM_FIELDS["measures"], validators=[Length(max=incidents.TEXT_MAX)])
    customer_actions = TextAreaField(
        ITEM_FIELDS["customer_actions"], validators=[Length(max=incidents.TEXT_MAX)]
    )
    contact = StringField(ITEM_FIELDS["contact"], validators=[Length(max=incidents.CONTACT_MAX)])


class EditForm(IncidentForm):
    found_at = None  # type: ignore[assignment]  # the moment found stays as opened


class AffectedForm(FlaskForm):
    way = RadioField(
        _l("Find the customers"),
        choices=[
            ("account", _l("Everything one account looked at in a period")),
            ("event", _l("Everyone in one access-log event (an export, a print)")),
        ],
        default="account",
    )
    account = SelectField(_l("Account"), choices=[], validators=[Optional()])
    start = StringField(_l("From (Beijing time)"), validators=[Optional()])
    end = StringField(_l("Until (Beijing time)"), validators=[Optional()])
    actions = SelectMultipleField(
        _l("Kinds of access"),
        choices=[(code, label) for code, label in incidents.LOOK_ACTIONS.items()],
        default=list(incidents.LOOK_ACTIONS),
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        validators=[Optional()],
    )
    event_seq = IntegerField(
        _l("Event number"),
        validators=[Optional(), NumberRange(min=1, message=_l("Enter a positive number."))],
    )


class SentForm(FlaskForm):
    how = SelectField(
        _l("How"), choices=[(code, label) for code, label in incidents.SENT_HOW.items()]
    )


def _account_choices() -> list[tuple[str, str]]:
    users = db.session.execute(select(User.id, User.username).order_by(User.username)).all()
    return [("", _("Choose an account"))] + [(str(uid), name) for uid, name in users]


def _new_form(**kwargs) -> IncidentForm:
    form = IncidentForm(**kwargs)
    if not form.found_at.data:
        form.found_at.data = _shown(utcnow())
    return form


class IncidentsView(SecurePageView):
    def _user(self):
        return current_user._get_current_object()

    def _incident(self, incident_id: int):
        incident = incidents.get_for(db.session, self._user(), incident_id)
        if incident is None:
            abort(404)
        return incident

    # --- the register ---------------------------------------------------------------------

    @expose("/")
    def index(self):
        return self._register(_new_form(formdata=None))

    def _register(self, form: IncidentForm):
        rows = incidents.visible(db.session, self._user())
        now = utcnow()
        return self.render(
            "admin/incidents/index.html",
            rows=[(i, incidents.report_clock(i, now)) for i in rows],
            form=form,
            status_labels=incidents.STATUS_LABELS,
        )

    @expose("/new/", methods=("POST",))
    def create(self):
        form = IncidentForm()
        if not form.validate_on_submit():
            return self._register(form), 400
        found_at = _parse_moment(form.found_at.data)
        if found_at is None:
            form.found_at.errors = [_("Enter a moment like 2026-12-06 09:30.")]
            return self._register(form), 400
        values = {field: form[field].data for field in incidents.EDITABLE}
        try:
            incident = incidents.open_incident(
                db.session, self._user(), current_actor(), found_at=found_at, **values
            )
            db.session.commit()
        except incidents.IncidentError as exc:
            db.session.rollback()
            form.title.errors = [*form.title.errors, str(exc)]
            return self._register(form), 400
        flash(_("The incident is opened; the 4-hour report clock runs."), "warning")
        return redirect(self.get_url(".detail", incident_id=incident.id))

    # --- one incident ---------------------------------------------------------------------

    @expose("/<int:incident_id>/")
    def detail(self, incident_id: int):
        incident = self._incident(incident_id)
        return self._detail(incident, EditForm(obj=incident, formdata=None))

    def _detail(self, incident, edit_form: EditForm, affected_form: AffectedForm | None = None):
        if affected_form is None:
            affected_form = AffectedForm(formdata=None)
            affected_form.start.data = _shown(incident.found_at)
            affected_form.end.data = _shown(utcnow())
        affected_form.account.choices = _account_choices()
        saved = []
        shown_ids: dict[str, list[int]] = {}
        for row in incident.customers:
            record = incidents.customer_record(db.session, row.customer_kind, row.customer_id)
            saved.append(
                (
                    row,
                    record.name if record is not None else "",
                    mask_phone(getattr(record, "mobile", None)) if record is not None else "",
                )
            )
            shown_ids.setdefault(row.customer_kind, []).append(row.customer_id)
        for kind, ids in shown_ids.items():
            log_in_own_transaction("list", fail_closed=True, record_type=kind, record_ids=ids)
        user = self._user()
        return self.render(
            "admin/incidents/detail.html",
            incident=incident,
            clock=incidents.report_clock(incident),
            missing=incidents.missing_notice_items(incident),
            items=incidents.NOTICE_ITEMS,
            edit_form=edit_form,
            affected_form=affected_form,
            saved=saved,
            kind_labels=incidents.KIND_LABELS,
            sent_labels=incidents.SENT_HOW,
            status_labels=incidents.STATUS_LABELS,
            sent_form=SentForm(formdata=None),
            is_admin=user.role_code == "admin",
            may_edit=incidents.may_see(user, incident),
        )

    @expose("/<int:incident_id>/edit/", methods=("POST",))
    def edit(self, incident_id: int):
        incident = self._incident(incident_id)
        form = EditForm()
        if not form.validate_on_submit():
            return self._detail(incident, form), 400
        values = {field: form[field].data for field in incidents.EDITABLE}
        try:
            incidents.update_incident(db.session, self._user(), current_actor(), incident, **values)
            db.session.commit()
        except incidents.IncidentError as exc:
            db.session.rollback()
            form.title.errors = [*form.title.errors, str(exc)]
            return self._detail(self._incident(incident_id), form), 400
        flash(_("The incident is saved."), "success")
        return redirect(self.get_url(".detail", incident_id=incident_id))

    def _act(self, incident_id: int, rule, done: str):
        incident = self._incident(incident_id)
        try:
            rule(db.session, self._user(), current_actor(), incident)
            db.session.commit()
        except incidents.IncidentError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            flash(done, "success")
        return redirect(self.get_url(".detail", incident_id=incident_id))

    @expose("/<int:incident_id>/issue/", methods=("POST",))
    def issue(self, incident_id: int):
        if not FlaskForm().validate_on_submit():
            abort(400)
        return self._act(incident_id, incidents.issue_notice, _("The notice is issued."))

    @expose("/<int:incident_id>/reported/", methods=("POST",))
    def reported(self, incident_id: int):
        if not FlaskForm().validate_on_submit():
            abort(400)
        return self._act(incident_id, incidents.mark_reported, _("The report is recorded."))

    @expose("/<int:incident_id>/close/", methods=("POST",))
    def close(self, incident_id: int):
        if not FlaskForm().validate_on_submit():
            abort(400)
        return self._act(incident_id, incidents.close, _("The incident is closed."))

    @expose("/<int:incident_id>/affected/", methods=("POST",))
    def affected(self, incident_id: int):
        incident = self._incident(incident_id)
        form = AffectedForm()
        form.account.choices = _account_choices()
        edit_form = EditForm(obj=incident, formdata=None)
        if not form.validate_on_submit():
            return self._detail(incident, edit_form, form), 400
        try:
            if form.way.data == "event":
                if not form.event_seq.data:
                    raise incidents.IncidentError(_("Enter the event's number."))
                found = incidents.affected_by_event(db.session, form.event_seq.data)
                found_by = _("In access-log event %(seq)d", seq=form.event_seq.data)
            else:
                start, end = _parse_moment(form.start.data), _parse_moment(form.end.data)
                if not form.account.data:
                    raise incidents.IncidentError(_("Choose an account."))
                if start is None or end is None:
                    raise incidents.IncidentError(_("Enter a moment like 2026-12-06 09:30."))
                account = db.session.get(User, int(form.account.data))
                found = incidents.affected_by_account(
                    db.session, account.id, start, end, form.actions.data
                )
                found_by = _(
                    "Seen by %(account)s from %(start)s to %(end)s",
                    account=account.username,
                    start=_shown(start),
                    end=_shown(end),
                )
            added = incidents.save_affected(
                db.session, self._user(), current_actor(), incident, found, found_by
            )
            db.session.commit()
        except incidents.IncidentError as exc:
            db.session.rollback()
            form.way.errors = [*form.way.errors, str(exc)]
            return self._detail(self._incident(incident_id), edit_form, form), 400
        flash(
            _(
                "%(found)d customers found, %(added)d added to the list.",
                found=len(found),
                added=added,
            ),
            "info",
        )
        return redirect(self.get_url(".detail", incident_id=incident_id))

    @expose("/<int:incident_id>/sent/<int:row_id>/", methods=("POST",))
    def sent(self, incident_id: int, row_id: int):
        incident = self._incident(incident_id)
        row = next((r for r in incident.customers if r.id == row_id), None)
        if row is None:
            abort(404)
        form = SentForm()
        if not form.validate_on_submit():
            flash(_("Choose how the notice was sent."), "error")
            return redirect(self.get_url(".detail", incident_id=incident_id))
        try:
            incidents.mark_sent(db.session, self._user(), current_actor(), row, form.how.data)
            db.session.commit()
        except incidents.IncidentError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            flash(_("The sending is recorded."), "success")
        return redirect(self.get_url(".detail", incident_id=incident_id))

    @expose("/<int:incident_id>/letter/<int:row_id>/")
    def letter(self, incident_id: int, row_id: int):
        """The notification letter to one customer (A4, Chinese by the office's language)."""
        incident = self._incident(incident_id)
        row = next((r for r in incident.customers if r.id == row_id), None)
        if row is None:
            abort(404)
        if incident.status == "open":
            flash(_("Issue the notice before printing letters."), "error")
            return redirect(self.get_url(".detail", incident_id=incident_id))
        record = incidents.customer_record(db.session, row.customer_kind, row.customer_id)
        if record is None:
            abort(404)
        page = self.render(
            "admin/incidents/letter.html",
            incident=incident,
            name=record.name,
            items=[(label, getattr(incident, field)) for field, label in incidents.NOTICE_ITEMS],
            printed_on=office_today(),
            found_on=_shown(incident.found_at),
        )
        log_in_own_transaction(
            "print", fail_closed=True, record_type=row.customer_kind, record_id=row.customer_id
        )
        return page


def register(admin, db_) -> None:
    admin.add_view(
        IncidentsView(
            name=_l("Incidents"),
            endpoint="incidents",
            url="/admin/incidents",
            category=_l("Administration"),
        )
    )
