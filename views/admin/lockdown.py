"""The lockdown switch (/admin/lockdown/, the admin's) and the guard every request passes.

``install(app)`` adds, before every /admin request: while the panel is locked
(services/admin/lockdown.py), the endpoints that let customer data leave answer 423 with a
plain message (exports, reveals of full numbers, imports, prints, a customer's copy); other
accounts are signed out (``refuse``) or may only read (``read_only``). Every panel page shows
the lockdown banner (templates/admin/panel_base.html reads ``lockdown_state``).
"""

from __future__ import annotations

from flask import Flask, flash, g, redirect, render_template, request, session, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import OperationalError
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from extensions import db
from services.admin import incidents, lockdown
from views.shared.audit_context import current_actor, log_in_own_transaction
from views.shared.base import SecurePageView

#: Endpoints stopped by a lockdown whole (every page of them).
STOPPED_AREAS = ("imports.", "print_view.")
#: Endpoint names stopped in every view: the base view's export and reveal, custom exports,
#: a customer's copy (XLSX and print).
STOPPED_NAMES = ("export", "reveal_view", "copy_view", "print_copy_view")
#: Single endpoints stopped: a share with a partner and its download (views/privacy/partners.py;
#: services/privacy/sharing.py also calls lockdown.refuse_if_active).
#: The incident's letters to the affected customers (incidents.letter, the admin's) stay open:
#: telling the customers is what an incident needs, lockdown or not.
STOPPED_ENDPOINTS = frozenset({"partner_sharing.share", "partner_sharing.download"})
#: What an account may still do in a read-only lockdown besides reading.
ALWAYS_ALLOWED = ("auth.logout",)
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def is_stopped(endpoint: str) -> bool:
    if endpoint == "print_view.index":
        return False  # a redirect home
    return (
        endpoint in STOPPED_ENDPOINTS
        or endpoint.startswith(STOPPED_AREAS)
        or endpoint.rsplit(".", 1)[-1] in STOPPED_NAMES
    )


def refusal(message: str | None = None):
    """The 423 page of an action stopped by the lockdown (no data of the request kept)."""
    log_in_own_transaction(
        "denied", outcome="denied", record_type=lockdown.LOCKDOWN_RECORD, release_request=True
    )
    page = render_template(
        "error.html",
        code=423,
        title=_("The panel is in lockdown"),
        message=message or lockdown.refusal_message(),
    )
    return page, 423


def _guard():
    endpoint = request.endpoint or ""
    if not endpoint or not request.path.startswith("/admin") or endpoint.endswith(".static"):
        return None
    try:
        now = lockdown.state(db.session)
    except OperationalError:
        if is_stopped(endpoint):
            # Fail closed: data leaves only when the switch is known to be off; the
            # "try again" page (503) of views/shared/errors.py says so.
            raise
        return None  # the page itself will say the database does not answer
    g.lockdown = now
    if not now.active:
        return None
    if is_stopped(endpoint):
        return refusal()
    if not current_user.is_authenticated or current_user.role_code == "admin":
        return None
    if endpoint in ALWAYS_ALLOWED:
        return None
    if now.mode == lockdown.REFUSE:
        log_in_own_transaction("session_revoked", record_type=lockdown.LOCKDOWN_RECORD)
        logout_user()
        session.clear()
        flash(_("The panel is in lockdown: only the administrator may sign in now."), "error")
        return redirect(url_for("auth.login"))
    if request.method not in _SAFE_METHODS:
        return refusal(
            _(
                "The panel is in lockdown: you may read, but nothing can be changed until "
                "the administrator lifts it."
            )
        )
    return None


def install(app: Flask) -> None:
    app.before_request(_guard)

    @app.context_processor
    def lockdown_banner():
        return {"lockdown_state": g.get("lockdown")}


class LockForm(FlaskForm):
    mode = RadioField(
        _l("Other accounts meanwhile"),
        choices=[(code, label) for code, label in lockdown.MODES.items()],
        default=lockdown.READ_ONLY,
        validators=[InputRequired(message=_l("Choose one."))],
    )
    incident_id = SelectField(_l("Incident"), choices=[], validators=[Optional()])
    note = TextAreaField(
        _l("Note"),
        validators=[
            Optional(),
            Length(max=lockdown.NOTE_MAX, message=_l("At most %(max)d characters.", max=1000)),
        ],
    )


class LiftForm(FlaskForm):
    note = TextAreaField(
        _l("Why it is safe again"),
        validators=[
            InputRequired(message=_l("Say why the lockdown can be lifted.")),
            Length(max=lockdown.NOTE_MAX, message=_l("At most %(max)d characters.", max=1000)),
        ],
    )


def _incident_choices(user) -> list[tuple[str, str]]:
    rows = incidents.visible(db.session, user)
    return [("", _("(none)"))] + [(str(i.id), f"#{i.id} {i.title}") for i in rows]


class LockdownView(SecurePageView):
    @expose("/")
    def index(self):
        return self._page(LockForm(formdata=None), LiftForm(formdata=None))

    @expose("/lock/", methods=("POST",))
    def lock(self):
        form = LockForm()
        user = current_user._get_current_object()
        form.incident_id.choices = _incident_choices(user)
        if not form.validate_on_submit():
            return self._page(form, LiftForm(formdata=None)), 400
        try:
            lockdown.lock(
                db.session,
                user,
                current_actor(),
                mode=form.mode.data,
                note=form.note.data,
                incident_id=int(form.incident_id.data) if form.incident_id.data else None,
            )
            db.session.commit()
        except lockdown.LockdownError as exc:
            db.session.rollback()
            form.note.errors = [*form.note.errors, str(exc)]
            return self._page(form, LiftForm(formdata=None)), 400
        lockdown.forget()
        flash(_("The panel is in lockdown now, on every server."), "warning")
        return redirect(self.get_url(".index"))

    @expose("/lift/", methods=("POST",))
    def lift(self):
        form = LiftForm()
        if not form.validate_on_submit():
            return self._page(LockForm(formdata=None), form), 400
        try:
            lockdown.lift(
                db.session, current_user._get_current_object(), current_actor(), note=form.note.data
            )
            db.session.commit()
        except lockdown.LockdownError as exc:
            db.session.rollback()
            form.note.errors = [*form.note.errors, str(exc)]
            return self._page(LockForm(formdata=None), form), 400
        lockdown.forget()
        g.lockdown = lockdown.state(db.session)
        flash(_("The lockdown is lifted."), "success")
        return redirect(self.get_url(".index"))

    def _page(self, lock_form: LockForm, lift_form: LiftForm):
        if not lock_form.incident_id.choices:
            lock_form.incident_id.choices = _incident_choices(current_user._get_current_object())
        return self.render(
            "admin/incidents/lockdown.html",
            current=lockdown.current(db.session),
            history=lockdown.history(db.session),
            modes=lockdown.MODES,
            lock_form=lock_form,
            lift_form=lift_form,
        )


def register(admin, db_) -> None:
    admin.add_view(
        LockdownView(
            name=_l("Lockdown"),
            endpoint="lockdown",
            url="/admin/lockdown",
            category=_l("Administration"),
        )
    )
