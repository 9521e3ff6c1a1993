"""Error pages in the user's language, with no detail of the failure."""

from __future__ import annotations

import logging

from flask import Flask, g, render_template, request
from flask.globals import request_ctx
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import InterfaceError, OperationalError

from extensions import db, login_manager
from views.shared.audit_context import log_in_own_transaction

log = logging.getLogger(__name__)


def register_error_pages(app: Flask) -> None:
    def page(code: int, title: str, message: str):
        if request_ctx.url_adapter is None:
            # The Host header could not be read (e.g. a label over 63 characters): the page's
            # links cannot be built, so the answer is plain text rather than a second failure.
            return f"{code} {title}\n{message}\n", code, {"Content-Type": "text/plain"}
        return render_template("error.html", code=code, title=title, message=message), code

    @app.errorhandler(403)
    def forbidden(exc):
        # A refused look at data is on the record, so unusual access can be traced.
        log_in_own_transaction("denied", outcome="denied", release_request=True)
        return page(403, _("Access denied"), _("Your role does not allow this page or action."))

    @app.errorhandler(404)
    def not_found(exc):
        if request.path.startswith("/admin/") and current_user.is_authenticated:
            # Out-of-scope records answer 404 (no hint that they exist); still recorded.
            log_in_own_transaction("not_found", outcome="denied", release_request=True)
        return page(
            404, _("Not found"), _("The page or record does not exist, or is not yours to see.")
        )

    @app.errorhandler(400)
    def bad_request(exc):
        return page(
            400,
            _("Bad request"),
            _("The request could not be understood. Reload the page and try again."),
        )

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unavailable(exc):
        # A dropped connection (PostgreSQL restarted, a connection killed) or SQLite's
        # "database is locked" past its busy timeout: the transaction was not committed, and
        # the pool re-checks connections (pool_pre_ping), so the same action again works.
        log.warning("database unavailable: %s", type(getattr(exc, "orig", exc)).__name__)
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 - the connection is gone; teardown discards it
            log.debug("rollback after a database failure failed", exc_info=True)
        if "_login_user" not in g:
            # Rendering would load the account (Flask-Login's current_user in every
            # template) from the database that just failed.
            g._login_user = login_manager.anonymous_user()
        response = page(
            503,
            _("Please try again"),
            _("The database is busy or not answering. Nothing was saved. Try again in a moment."),
        )
        return response[0], 503, {"Retry-After": "5"}

    @app.errorhandler(500)
    def server_error(exc):
        return page(500, _("Server error"), _("Something went wrong. Nothing was saved."))
