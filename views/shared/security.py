"""Sign-in throttling, session lifetime and security headers: ``init_security(app)``.

- Failed sign-ins are counted by Flask-Limiter per typed account name and per client address
  (LOGIN_LIMIT_PER_ACCOUNT / LOGIN_LIMIT_PER_ADDRESS); past either limit the form answers 429
  without checking the password. Only failures count: a successful sign-in uses nothing up.
- A session is stamped at sign-in with a random id, the sign-in time, the time of the last
  request and the client address; before each request it is ended when idle for
  SESSION_IDLE_MINUTES or older than SESSION_ABSOLUTE_HOURS (``session_expired`` in the access
  log), and when its account was deactivated meanwhile, its stamps are missing or, with
  SESSION_BIND_ADDRESS, it comes from another address (``session_revoked``). The address is
  the socket's, or the one a trusted proxy forwarded (views/shared/serving.py): a copied
  cookie sent with a forged X-Forwarded-For from elsewhere is refused.
- Every response carries a Content-Security-Policy with a per-request script nonce
  (``csp_nonce``), frame, type-sniffing and referrer headers; every page but the static
  files is ``Cache-Control: no-store``.

Flask-Admin 2.2's templates still carry inline event handlers: ``onclick`` on the row delete
button (admin/model/row_actions.html), on each batch action (admin/actions.html), on the
inline "Add" button (admin/model/inline_list_base.html) and on filter links
(admin/model/layout.html). A nonce cannot cover an attribute, and the policy forbids them all
(CSP_SCRIPT_SRC_ATTR ``'none'``): views/shared/inline_handlers.py renames them to
``data-panel-onclick`` in Flask-Admin's template sources, and static/csp-handlers.js, loaded
by every model view, binds the same behaviour with addEventListener. No Flask-Admin template
is copied; an unknown handler (after an upgrade) is left unbound and logged to the console,
and tests/web/shared/test_security.py lists the known ones.
"""

from __future__ import annotations

import secrets
import time

from flask import (
    Flask,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter import RequestLimit
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response

from core import access
from extensions import db, limiter
from forms.admin.auth import LoginForm
from models.admin.people import User
from services.admin import login_guard
from views.shared import inline_handlers
from views.shared.audit_context import log_in_own_transaction

#: Session keys written at sign-in.
SESSION_ID = "sid"
SIGNED_IN_AT = "signed_in_at"
LAST_SEEN = "last_seen"
BOUND_ADDRESS = "addr"
#: Access-log actions of a session ended by the panel (views/privacy/audit.py labels them).
EXPIRED = "session_expired"
REVOKED = "session_revoked"
#: The last-request time is written back at most this often, so that not every request
#: re-sends the cookie; the idle timeout is exact to within this many seconds.
TOUCH_EVERY_SECONDS = 60

_NONCE_KEY = "panel.csp_nonce"
#: HSTS sent on HTTPS requests when HSTS_SECONDS is left unset: one year.
HSTS_OVER_TLS_SECONDS = 365 * 24 * 3600


def init_security(app: Flask) -> None:
    """Install throttling, session checks and headers on ``app`` (after its blueprints)."""
    # TRUSTED_PROXIES (X-Forwarded-For/-Proto/-Host): views/shared/serving.py.
    limiter.init_app(app)
    app.before_request(_check_session)
    app.before_request(_log_watched_page)
    app.after_request(_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    inline_handlers.install(app)


# --- sign-in throttling ---------------------------------------------------------------------
def _account_key() -> str:
    typed = request.form.get("username", "")
    return "account:" + login_guard.account_key(typed, current_app.secret_key.encode())


def _address_key() -> str:
    return "address:" + (request.remote_addr or "unknown")


def _sign_in_failed(response: Response) -> bool:
    # views/admin/auth.py answers 401 to every refused sign-in, and only to those.
    return response.status_code == 401


def _locked_out(limit: RequestLimit) -> Response:
    """The sign-in page with one message for every lock-out: by name or by address, known
    account or not, nothing tells them apart."""
    now = time.time()
    minutes = login_guard.minutes_until(limit.reset_at, now)
    flash(
        _("Too many failed sign-ins. Try again in %(minutes)d minutes.", minutes=minutes),
        "error",
    )
    response = make_response(render_template("auth/login.html", form=LoginForm()), 429)
    response.headers["Retry-After"] = str(max(1, int(limit.reset_at - now)))
    return response


def throttle_sign_in(view):
    """Decorate the sign-in view: failures are counted per account name and per address;
    past either limit the request is answered by ``_locked_out`` before the view runs."""
    common = {"methods": ["POST"], "deduct_when": _sign_in_failed, "on_breach": _locked_out}
    view = limiter.limit(
        lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], key_func=_address_key, **common
    )(view)
    return limiter.limit(
        lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], key_func=_account_key, **common
    )(view)


# --- sessions -------------------------------------------------------------------------------
def begin_session() -> None:
    """Stamp a session just signed in (after ``session.clear()`` and ``login_user``)."""
    now = int(time.time())
    session[SESSION_ID] = secrets.token_urlsafe(24)
    session[SIGNED_IN_AT] = now
    session[LAST_SEEN] = now
    session[BOUND_ADDRESS] = request.remote_addr


def _is_static() -> bool:
    endpoint = request.endpoint or ""
    return endpoint == "static" or endpoint.endswith(".static")


def _check_session():
    if request.endpoint is None or _is_static():
        return None
    if not current_user.is_authenticated:
        if "_user_id" in session:
            # The user loader refused the account: deactivated or deleted since sign-in, or
            # a time-boxed account past its last valid day.
            account = _account_of_refused_session()
            _log_end(REVOKED, account)
            if account is not None and account.active and account.valid_until is not None:
                return _end_session(
                    _(
                        "This account was valid until %(day)s: your session has ended.",
                        day=account.valid_until.isoformat(),
                    )
                )
            return _end_session(_("Your session has ended. Please sign in again."))
        return None
    config = current_app.config
    now = int(time.time())
    reason = login_guard.session_end_reason(
        signed_in_at=session.get(SIGNED_IN_AT),
        last_seen=session.get(LAST_SEEN),
        now=now,
        idle_seconds=int(config["SESSION_IDLE_MINUTES"]) * 60,
        absolute_seconds=int(config["SESSION_ABSOLUTE_HOURS"]) * 3600,
    )
    user = current_user._get_current_object()
    bound_elsewhere = session.get(BOUND_ADDRESS) != request.remote_addr
    if reason is None and config["SESSION_BIND_ADDRESS"] and bound_elsewhere:
        reason = login_guard.UNSTAMPED  # not the session that was signed in here
    if reason is not None:
        _log_end(EXPIRED if reason in (login_guard.IDLE, login_guard.ABSOLUTE) else REVOKED, user)
    if reason == login_guard.IDLE:
        return _end_session(
            _(
                "You were signed out after %(minutes)d minutes without activity.",
                minutes=int(config["SESSION_IDLE_MINUTES"]),
            )
        )
    if reason is not None:
        return _end_session(_("Your session has ended. Please sign in again."))
    if now - session[LAST_SEEN] >= TOUCH_EVERY_SECONDS:
        session[LAST_SEEN] = now
    return None


#: The access-log action of a page opened by a role whose every page is logged.
PAGE_OPENED = "page"


def _log_watched_page():
    """Every page an outside auditor opens is an access event (core/access.py LOGGED_ROLES),
    custom pages and the home page included; fail closed: no page without its event."""
    if request.endpoint is None or _is_static() or request.method != "GET":
        return None
    if current_user.is_authenticated and current_user.role_code in access.LOGGED_ROLES:
        log_in_own_transaction(PAGE_OPENED, fail_closed=True)
    return None


def _account_of_refused_session() -> User | None:
    try:
        return db.session.get(User, int(session["_user_id"]))
    except (TypeError, ValueError):
        return None


def _log_end(action: str, user: User | None) -> None:
    """The end of a session is an access event, in its own transaction (nothing of the
    request is done)."""
    if user is None:  # deleted since: its id is all there is
        try:
            account_id = int(session.get("_user_id"))
        except (TypeError, ValueError):
            account_id = None
        log_in_own_transaction(action, record_type="user", record_id=account_id)
    else:
        log_in_own_transaction(action, user=user)


def _end_session(message: str) -> Response:
    logout_user()
    session.clear()
    flash(message, "info")
    if request.method == "GET" and request.endpoint != "auth.login":
        return redirect(url_for("auth.login", next=request.full_path))
    return redirect(url_for("auth.login"))


# --- headers --------------------------------------------------------------------------------
def csp_nonce() -> str:
    """This request's script nonce, made on first use. Pass it to
    ``Admin(csp_nonce_generator=csp_nonce)``; templates use ``nonce="{{ csp_nonce() }}"``."""
    nonce = request.environ.get(_NONCE_KEY)
    if nonce is None:
        nonce = request.environ[_NONCE_KEY] = secrets.token_urlsafe(18)
    return nonce


def content_security_policy(nonce: str, script_src_attr: str) -> str:
    """The policy: everything from our own origin (the panel serves its own scripts, styles
    and fonts, also offline), inline scripts only with the nonce, no framing."""
    directives = (
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        f"script-src-attr {script_src_attr}",
        "style-src 'self'",
        # Flask-Admin's form.js builds elements with style="..." attributes.
        "style-src-attr 'unsafe-inline'",
        # Bootstrap's stylesheet draws its icons from data: URIs.
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
    return "; ".join(directives)


def _security_headers(response: Response) -> Response:
    config = current_app.config
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(
        csp_nonce(), config["CSP_SCRIPT_SRC_ATTR"]
    )
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    if not _is_static():
        # Pages and exports carry personal data: no copy in any cache, back button included.
        headers["Cache-Control"] = "no-store"
    hsts = config.get("HSTS_SECONDS")
    if hsts is None and request.is_secure:
        hsts = HSTS_OVER_TLS_SECONDS
    if hsts:
        headers["Strict-Transport-Security"] = f"max-age={int(hsts)}"
    return response
