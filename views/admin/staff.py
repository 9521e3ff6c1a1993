"""Staff agreements and training (/admin/staff/), the page a blocked account sees
(/admin/clearance/) and the gate that sends it there.

- ``StaffView`` (admin only): every account's standing; per account its signed agreements
  (with the sealed scan) and training records, with forms to record both; the agreement's
  versions and the courses (admin-edited lists); one training session for many accounts.
- ``ClearanceView`` (every role): what is missing and whom to ask.
- ``install_clearance_gate(app)``: before every request of a signed-in account without
  clearance (services/admin/staff_clearance.py), only ``ALWAYS_OPEN`` (and, for the admin, the
  administration pages of ``ADMIN_OPEN_VIEWS``) answer; anything else is an access event
  ``blocked`` and a redirect to the clearance page, so no customer data is shown.

Rules: services/admin/staff.py (recording), services/admin/staff_clearance.py (the gate).
"""

from __future__ import annotations

import time

from flask import Flask, Response, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import BooleanField, DateField, SelectField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, Length

from core.clock import office_today
from extensions import db
from models.admin.people import User
from models.admin.staff import (
    SCAN_MAX_BYTES,
    StaffAgreement,
    StaffAgreementVersion,
    TrainingCourse,
    TrainingRecord,
)
from services.admin import staff as staff_records
from services.admin import staff_clearance
from views.shared.audit_context import current_actor, log_in_own_transaction
from views.shared.base import SecurePageView

#: Endpoints a signed-in account without clearance may still open.
ALWAYS_OPEN = frozenset(
    {
        "clearance.index",
        "auth.login",
        "auth.logout",
        "site.root",
        "site.healthz",
        "site.readyz",
        "site.set_language",
        "static",
        "admin.static",
    }
)
#: Views (the endpoint's first part) the admin may still open without clearance: the
#: administration pages with no customer data, so an admin can record their own agreement.
ADMIN_OPEN_VIEWS = frozenset(
    {"user", "office", "reference_list", "reference_item", "office_settings", "staff"}
)
#: The access-log action of a refused request.
BLOCKED = "blocked"

_DATE_MESSAGE = _l("Enter a date as YYYY-MM-DD.")


def install_clearance_gate(app: Flask) -> None:
    """Register the gate; after the session checks (views/shared/security.py), so an ended
    session is ended first."""
    app.before_request(_gate)


#: Seconds a worker trusts that an account was cleared (CLEARANCE_CACHE_SECONDS): the rule
#: costs four queries, and every page of every account passes the gate. Only a clearance is
#: remembered, for the office day it was found on, so a blocked account is let in at its next
#: page once its training is recorded, and an expiry takes effect on its day; a newly current
#: agreement version stops the others within this many seconds. None under TESTING unless
#: set, so that tests see every change at once and count statements exactly.
CLEARED_SECONDS = 60.0
_cleared: dict[int, tuple[float, object]] = {}


def _cache_seconds() -> float:
    default = 0.0 if current_app.testing else CLEARED_SECONDS
    return float(current_app.config.get("CLEARANCE_CACHE_SECONDS", default))


def _recently_cleared(user_id: int) -> bool:
    seen = _cleared.get(user_id)
    return (
        seen is not None
        and seen[1] == office_today()
        and time.monotonic() - seen[0] < _cache_seconds()
    )


def _remember_cleared(user_id: int) -> None:
    if _cache_seconds() > 0:
        _cleared[user_id] = (time.monotonic(), office_today())


def _gate() -> Response | None:
    endpoint = request.endpoint
    if endpoint is None or endpoint in ALWAYS_OPEN or endpoint.endswith(".static"):
        return None
    if not current_user.is_authenticated:
        return None
    user = current_user._get_current_object()
    if user.has_role("admin") and endpoint.partition(".")[0] in ADMIN_OPEN_VIEWS:
        return None
    if _recently_cleared(user.id):
        return None
    if staff_clearance.clearance(db.session, user, whom_to_ask=False).cleared:
        _remember_cleared(user.id)
        return None
    log_in_own_transaction(BLOCKED, outcome="denied", user=user)
    return redirect(url_for("clearance.index"))


class ClearanceView(SecurePageView):
    """What a signed-in account lacks before it may open customer data."""

    def is_visible(self) -> bool:
        return False

    @expose("/")
    def index(self):
        user = current_user._get_current_object()
        return self.render(
            "admin/staff/clearance.html",
            clearance=staff_clearance.clearance(db.session, user),
            is_admin=user.has_role("admin"),
        )


def _record_training(form, account_ids: list[int]):
    """One training (course, date, trainer, passed) from ``form`` for ``account_ids``."""
    return staff_records.record_training(
        db.session,
        current_user._get_current_object(),
        current_actor(),
        account_ids,
        form.course.data or None,
        form.taken_on.data,
        form.trainer.data,
        bool(form.passed.data),
    )


# --- forms ----------------------------------------------------------------------------------
class AgreementForm(FlaskForm):
    version = SelectField(_l("Version signed"), coerce=int, validate_choice=False)
    signed_on = DateField(
        _l("Signed on"), validators=[InputRequired(message=_DATE_MESSAGE)], format="%Y-%m-%d"
    )
    witness = SelectField(_l("Witness"), coerce=int, validate_choice=False)
    scan = FileField(_l("Scan of the signed paper (PDF, JPEG or PNG; optional)"))


class TrainingForm(FlaskForm):
    course = SelectField(_l("Course"), coerce=int, validate_choice=False)
    taken_on = DateField(
        _l("Taken on"), validators=[InputRequired(message=_DATE_MESSAGE)], format="%Y-%m-%d"
    )
    trainer = StringField(
        _l("Trainer"),
        validators=[
            InputRequired(message=_l("Enter the trainer.")),
            Length(max=100, message=_l("At most %(max)d characters.", max=100)),
        ],
    )
    passed = BooleanField(_l("Passed"), default=True)


class SessionForm(TrainingForm):
    accounts = SelectMultipleField(_l("Accounts trained"), coerce=int, validate_choice=False)


class VersionForm(FlaskForm):
    code = StringField(
        _l("Version"),
        validators=[
            InputRequired(message=_l("Enter the version and the title.")),
            Length(max=40, message=_l("At most %(max)d characters.", max=40)),
        ],
    )
    title = StringField(
        _l("Title"),
        validators=[
            InputRequired(message=_l("Enter the version and the title.")),
            Length(max=200, message=_l("At most %(max)d characters.", max=200)),
        ],
    )
    effective_from = DateField(
        _l("In effect from"), validators=[InputRequired(message=_DATE_MESSAGE)], format="%Y-%m-%d"
    )
    current = BooleanField(_l("Make it the current version (everyone signs it again)"))


class CourseForm(FlaskForm):
    name = StringField(
        _l("Course"),
        validators=[
            InputRequired(message=_l("Enter the course's name.")),
            Length(max=100, message=_l("At most %(max)d characters.", max=100)),
        ],
    )


class ActionForm(FlaskForm):
    """CSRF only: the small buttons (make current, retire a course)."""


def _accounts(session) -> list[User]:
    return list(session.scalars(select(User).where(User.active.is_(True)).order_by(User.full_name)))


def _choices_versions(session) -> list[tuple[int, str]]:
    versions = session.scalars(
        select(StaffAgreementVersion).order_by(
            StaffAgreementVersion.current.desc(), StaffAgreementVersion.id.desc()
        )
    )
    return [(0, "")] + [(v.id, f"{v.code} · {v.title}") for v in versions]


def _choices_courses(session) -> list[tuple[int, str]]:
    courses = session.scalars(
        select(TrainingCourse).where(TrainingCourse.active.is_(True)).order_by(TrainingCourse.name)
    )
    return [(0, "")] + [(c.id, c.name) for c in courses]


def _choices_accounts(session, blank: bool = True) -> list[tuple[int, str]]:
    choices = [(u.id, f"{u.full_name} ({u.username})") for u in _accounts(session)]
    return ([(0, "")] if blank else []) + choices


def _fill(form, session) -> None:
    if hasattr(form, "version"):
        form.version.choices = _choices_versions(session)
        form.witness.choices = _choices_accounts(session)
    if hasattr(form, "course"):
        form.course.choices = _choices_courses(session)
    if hasattr(form, "accounts"):
        form.accounts.choices = _choices_accounts(session, blank=False)


def _refused(form, field, message: str) -> None:
    getattr(form, field).errors = [*getattr(form, field).errors, message]


class StaffView(SecurePageView):
    """The admin's staff pages (every endpoint admin-only in core/access.PAGES)."""

    @expose("/")
    def index(self):
        accounts = _accounts(db.session)
        found = staff_clearance.statuses(db.session, [u.id for u in accounts], whom_to_ask=False)
        return self.render(
            "admin/staff/index.html",
            rows=[(u, found[u.id]) for u in accounts],
            version=staff_clearance.current_version(db.session),
            months=staff_clearance.validity_months(db.session),
        )

    # --- one account ----------------------------------------------------------------------
    @expose("/account/<int:account_id>/")
    def account(self, account_id: int):
        return self._account_page(account_id)

    def _account_page(self, account_id: int, agreement_form=None, training_form=None, code=200):
        account = db.session.get(User, account_id)
        if account is None:
            flash(_("There is no such account."), "error")
            return redirect(self.get_url(".index"))
        if agreement_form is None:
            agreement_form = AgreementForm(formdata=None)
            current = staff_clearance.current_version(db.session)
            agreement_form.version.data = current.id if current else 0
        if training_form is None:
            training_form = TrainingForm(formdata=None)
            training_form.passed.data = True
        _fill(agreement_form, db.session)
        _fill(training_form, db.session)
        agreements = db.session.scalars(
            select(StaffAgreement)
            .where(StaffAgreement.user_id == account.id)
            .order_by(StaffAgreement.signed_on.desc(), StaffAgreement.id.desc())
        ).all()
        trainings = db.session.scalars(
            select(TrainingRecord)
            .where(TrainingRecord.user_id == account.id)
            .order_by(TrainingRecord.taken_on.desc(), TrainingRecord.id.desc())
        ).all()
        return (
            self.render(
                "admin/staff/account.html",
                account=account,
                clearance=staff_clearance.clearance(db.session, account, whom_to_ask=False),
                agreements=agreements,
                trainings=trainings,
                agreement_form=agreement_form,
                training_form=training_form,
                scan_max_mb=SCAN_MAX_BYTES // (1024 * 1024),
            ),
            code,
        )

    @expose("/account/<int:account_id>/agreement", methods=("POST",))
    def agreement(self, account_id: int):
        form = AgreementForm()
        _fill(form, db.session)
        if not form.validate_on_submit():
            return self._account_page(account_id, agreement_form=form, code=400)
        upload = form.scan.data
        scan = None
        if upload and getattr(upload, "filename", ""):
            scan = upload.read(SCAN_MAX_BYTES + 1)
        try:
            staff_records.record_agreement(
                db.session,
                current_user._get_current_object(),
                current_actor(),
                account_id,
                form.version.data or None,
                form.signed_on.data,
                form.witness.data or None,
                scan=scan,
                scan_name=getattr(upload, "filename", None) if scan else None,
            )
            db.session.commit()
        except staff_records.StaffError as exc:
            db.session.rollback()
            _refused(form, "version", str(exc))
            return self._account_page(account_id, agreement_form=form, code=400)
        flash(_("The agreement is recorded."), "success")
        return redirect(self.get_url(".account", account_id=account_id))

    @expose("/account/<int:account_id>/training", methods=("POST",))
    def training(self, account_id: int):
        form = TrainingForm()
        _fill(form, db.session)
        if not form.validate_on_submit():
            return self._account_page(account_id, training_form=form, code=400)
        try:
            _record_training(form, [account_id])
            db.session.commit()
        except staff_records.StaffError as exc:
            db.session.rollback()
            _refused(form, "course", str(exc))
            return self._account_page(account_id, training_form=form, code=400)
        flash(_("The training is recorded."), "success")
        return redirect(self.get_url(".account", account_id=account_id))

    @expose("/agreement/<int:agreement_id>/scan")
    def scan(self, agreement_id: int):
        agreement = db.session.get(StaffAgreement, agreement_id)
        data = staff_records.scan_of(agreement) if agreement else None
        if data is None:
            flash(_("There is no scan of this agreement."), "error")
            return redirect(self.get_url(".index"))
        log_in_own_transaction(
            "export",
            record_type=staff_records.AGREEMENT_RECORD,
            record_id=agreement.id,
            fail_closed=True,
        )
        response = Response(data, mimetype=agreement.scan_type or "application/octet-stream")
        extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(
            agreement.scan_type or "", "bin"
        )
        response.headers["Content-Disposition"] = (
            f"attachment; filename=agreement-{agreement.id}.{extension}"
        )
        return response

    # --- one session for many accounts ----------------------------------------------------
    @expose("/session/", methods=("GET", "POST"))
    def training_session(self):
        if request.method == "GET":
            form = SessionForm(formdata=None)
            form.passed.data = True
            _fill(form, db.session)
            return self.render("admin/staff/session.html", form=form)
        form = SessionForm()
        _fill(form, db.session)
        if form.validate_on_submit():
            try:
                records = _record_training(form, form.accounts.data or [])
                db.session.commit()
            except staff_records.StaffError as exc:
                db.session.rollback()
                _refused(form, "accounts", str(exc))
            else:
                flash(_("Training recorded for %(n)d accounts.", n=len(records)), "success")
                return redirect(self.get_url(".index"))
        return self.render("admin/staff/session.html", form=form), 400

    # --- the lists ------------------------------------------------------------------------
    @expose("/versions/", methods=("GET", "POST"))
    def versions(self):
        form = VersionForm() if request.method == "POST" else VersionForm(formdata=None)
        if request.method == "POST" and form.validate_on_submit():
            try:
                staff_records.add_version(
                    db.session,
                    current_user._get_current_object(),
                    current_actor(),
                    form.code.data,
                    form.title.data,
                    form.effective_from.data,
                    bool(form.current.data),
                )
                db.session.commit()
            except staff_records.StaffError as exc:
                db.session.rollback()
                _refused(form, "code", str(exc))
            else:
                flash(_("The version is saved."), "success")
                return redirect(self.get_url(".versions"))
        rows = db.session.scalars(
            select(StaffAgreementVersion).order_by(StaffAgreementVersion.id.desc())
        ).all()
        return (
            self.render(
                "admin/staff/versions.html", rows=rows, form=form, action_form=ActionForm()
            ),
            400 if form.errors else 200,
        )

    @expose("/versions/<int:version_id>/current", methods=("POST",))
    def make_current(self, version_id: int):
        if ActionForm().validate_on_submit():
            try:
                staff_records.set_current(
                    db.session, current_user._get_current_object(), current_actor(), version_id
                )
                db.session.commit()
                flash(_("The current version is changed: everyone signs it again."), "success")
            except staff_records.StaffError as exc:
                db.session.rollback()
                flash(str(exc), "error")
        else:
            flash(_("The page had expired; nothing was changed. Try again."), "error")
        return redirect(self.get_url(".versions"))

    @expose("/courses/", methods=("GET", "POST"))
    def courses(self):
        form = CourseForm() if request.method == "POST" else CourseForm(formdata=None)
        if request.method == "POST" and form.validate_on_submit():
            try:
                staff_records.add_course(
                    db.session,
                    current_user._get_current_object(),
                    current_actor(),
                    form.name.data,
                )
                db.session.commit()
            except staff_records.StaffError as exc:
                db.session.rollback()
                _refused(form, "name", str(exc))
            else:
                flash(_("The course is saved."), "success")
                return redirect(self.get_url(".courses"))
        rows = db.session.scalars(select(TrainingCourse).order_by(TrainingCourse.name)).all()
        return (
            self.render("admin/staff/courses.html", rows=rows, form=form, action_form=ActionForm()),
            400 if form.errors else 200,
        )

    @expose("/courses/<int:course_id>/active", methods=("POST",))
    def course_active(self, course_id: int):
        if ActionForm().validate_on_submit():
            try:
                staff_records.set_course_active(
                    db.session,
                    current_user._get_current_object(),
                    current_actor(),
                    course_id,
                    request.form.get("active") == "1",
                )
                db.session.commit()
                flash(_("The course is saved."), "success")
            except staff_records.StaffError as exc:
                db.session.rollback()
                flash(str(exc), "error")
        else:
            flash(_("The page had expired; nothing was changed. Try again."), "error")
        return redirect(self.get_url(".courses"))


def register(admin, db_) -> None:
    admin.add_view(
        StaffView(
            name=_l("Staff agreements and training"),
            endpoint="staff",
            url="/admin/staff",
            category=_l("Administration"),
        )
    )
    admin.add_view(
        ClearanceView(
            name=_l("Access to customer data"), endpoint="clearance", url="/admin/clearance"
        )
    )
