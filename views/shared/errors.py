"""Error pages in the user's language, with no detail of the failure."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from views.shared.audit_context import log_in_own_transaction


def register_error_pages(app: Flask) -> None:
    def page(code: int, title: str, message: str):
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

    @app.errorhandler(500)
    def server_error(exc):
        return page(500, _("Server error"), _("Something went wrong. Nothing was saved."))
