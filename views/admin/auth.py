"""Sign-in and sign-out at the fixed entry points /login and /logout."""

from __future__ import annotations

from functools import cache

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import bindparam, select

from core.clock import office_time, office_today
from core.redirects import is_safe_local_path
from extensions import db, login_manager
from forms.admin.auth import LoginForm
from models.admin.offices import user_offices
from models.admin.people import User
from services.admin import lockdown, sign_in_history
from services.admin.accounts import authenticate, expired
from views.shared.audit_context import log_in_own_transaction, raise_sign_in_alert
from views.shared.security import begin_session, throttle_sign_in

bp = Blueprint("auth", __name__)


@cache
def _account_statement():
    """The account, its role and its offices' ids in one statement, built once (on first use,
    when every model is mapped): it runs at the start of every request. One row per office
    (one with no office id for an account of none), the account the same object in each; the
    offices as ids, not Office objects: a page needs their ids (visible_office_ids), and
    loading Office objects through a joined collection cost a third of the statement."""
    return (
        select(User, user_offices.c.office_id)
        .outerjoin(user_offices, user_offices.c.user_id == User.id)
        .where(User.id == bindparam("user_id"))
    )


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    try:
        account_id = int(user_id)
    except (TypeError, ValueError):
        return None
    rows = db.session.execute(_account_statement(), {"user_id": account_id}).all()
    user = rows[0][0] if rows else None
    if user is None or not user.active or expired(user, office_today()):
        return None  # a deactivated or time-boxed account past its day: the session ends
    # The account's offices kept now, while the row is attached: every scoped query of the
    # request uses them (services/admin/offices.py visible_office_ids), and a streamed
    # response that ends later must not leave them to load from a removed session. Code that
    # reads ``user.offices`` itself (an approval's office, a handover) loads them then.
    user._visible_office_ids = frozenset(
        office_id for _user, office_id in rows if office_id is not None
    )
    return user


def safe_next(target: str | None) -> str:
    """Only a safe local path is followed (after sign-in, after the language switch); anything
    else -- other hosts, control characters, backslashes -- goes home (core/redirects.py)."""
    return target if is_safe_local_path(target) else url_for("admin.index")


@bp.route("/login", methods=["GET", "POST"])
@throttle_sign_in
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(db.session, form.username.data, form.password.data)
        if user is not None and expired(user, office_today()):
            # The right password for an account past its last valid day: said plainly
            # (only to someone who knows the password), and logged as a failed sign-in.
            until = user.valid_until
            db.session.rollback()
            _log_failure(form.username.data)
            flash(
                _(
                    "This account was valid until %(day)s and can no longer sign in. Ask the"
                    " administrator to extend it.",
                    day=until.isoformat(),
                ),
                "error",
            )
            return render_template("auth/login.html", form=form), 401
        if user is not None and lockdown.refuses_sign_in(db.session, user):
            # A lockdown that refuses other accounts (views/admin/lockdown.py): on the record.
            db.session.rollback()
            log_in_own_transaction("denied", outcome="denied", user=user, record_type="lockdown")
            flash(_("The panel is in lockdown: only the administrator may sign in now."), "error")
            return render_template("auth/login.html", form=form), 423
        if user is not None:
            db.session.commit()
            session.clear()  # a fresh session at sign-in
            login_user(user)
            begin_session()
            _tell_failures_since_last_sign_in(user)
            # sign-ins are on the record; one outside office hours raises its alert now
            log_in_own_transaction("login", user=user)
            raise_sign_in_alert(user)
            return redirect(safe_next(request.args.get("next")))
        db.session.rollback()
        _log_failure(form.username.data)
        # One answer for a wrong password and an unknown account; every 401 here counts as
        # a failed sign-in (views/shared/security.py).
        flash(_("Wrong username or password."), "error")
    return render_template("auth/login.html", form=form), (200 if request.method == "GET" else 401)


def _log_failure(typed_name: str) -> None:
    """A failed sign-in is an access event, naming the account it was aimed at when one has
    that name (never the typed name: people type their password there)."""
    account = sign_in_history.account_named(db.session, typed_name or "")
    db.session.rollback()  # nothing of the look-up stays open in the request's session
    fields = {"record_type": sign_in_history.ACCOUNT, "record_id": account.id} if account else {}
    log_in_own_transaction("login_failed", outcome="failed", **fields)


def _tell_failures_since_last_sign_in(user: User) -> None:
    """An account under attack hears of it at its owner's next sign-in."""
    failures = sign_in_history.failures_since_last_sign_in(db.session, user.id)
    if failures.count:
        flash(
            _(
                "%(count)d failed sign-ins to your account since your last sign-in, the last"
                " at %(when)s. If that was not you, tell the administrator.",
                count=failures.count,
                when=office_time(failures.last_at),
            ),
            "warning",
        )


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        log_in_own_transaction("logout")
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))
