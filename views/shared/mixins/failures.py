"""Failures: what a view tells the user when something went wrong.

Owns ``handle_view_exception``: a plain message flashed in the user's language (a gated
inline change, someone else's change meanwhile, a conflict, a refusal of the database),
nothing of the SQL or its values; the log gets the exception type only.

Relies on: ``self.access_key`` (RightsMixin).
"""

from __future__ import annotations

import logging

from flask import current_app, flash, request
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError

from views.shared import gating

# The logger keeps the name it had when this lived in views/shared/base.py.
log = logging.getLogger("views.shared.base")


class FailuresMixin:
    def handle_view_exception(self, exc: Exception) -> bool:
        if current_app.config.get("FLASK_ADMIN_RAISE_ON_VIEW_EXCEPTION"):
            raise exc
        if isinstance(exc, gating.GatedInlineChange):
            flash(exc.message, "error")
            return True
        if isinstance(exc, StaleDataError):
            flash(
                _("Someone else changed this record meanwhile. Reload it and try again."), "error"
            )
        elif isinstance(exc, IntegrityError):
            flash(
                _("This conflicts with another record (a duplicate, or it is still in use)."),
                "error",
            )
        elif isinstance(exc, SQLAlchemyError):
            flash(_("The database refused the change. Nothing was saved."), "error")
        else:
            flash(_("Something went wrong. Nothing was saved."), "error")
        # The exception type only: its text can carry personal data from the row.
        log.error("%s on %s.%s", type(exc).__name__, self.access_key, request.endpoint)
        return True
