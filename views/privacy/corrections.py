"""The web side of a correction request (services/privacy/corrections.py): the mark on the edit
page that says which customer's request an edit carries out.

The request's page links to ``<record>/edit/?id=..&subject_request=<id>``. Flask-Admin's edit
form posts back to its own address, so the mark comes back with the save; it is honoured only
for an open correction request about that very record, and only for a role that answers
customers' requests. Anything else is an ordinary edit.
"""

from __future__ import annotations

from flask import flash, has_request_context, request
from flask_babel import gettext as _
from flask_login import current_user

from core import access
from extensions import db
from models.privacy.privacy import SubjectRequest
from services.privacy import corrections as service
from views.shared.audit_context import current_actor

#: The query argument of the edit page that names the customer's request.
ARG = "subject_request"


def correcting(view, model) -> SubjectRequest | None:
    """The open correction request this edit of ``model`` carries out, if any."""
    if model is None or not has_request_context() or not current_user.is_authenticated:
        return None
    if not access.can(current_user.role_code, "subject_request", access.CREATE):
        return None
    return service.open_correction(
        db.session,
        request.args.get(ARG, type=int),
        view.access_key,
        model.id,
        current_user._get_current_object(),
    )


def after_edit(view, model, change, *, changed: bool) -> None:
    """Called by the approval gate in the edit's transaction, before its commit."""
    item = correcting(view, model)
    if item is None:
        return
    service.after_edit(
        db.session,
        item,
        change,
        changed=changed,
        user=current_user._get_current_object(),
        actor=current_actor(),
    )
    if change is not None:
        flash(
            _("Once the change is approved, the customer's request is answered."),
            "info",
        )
    elif item.status == "answered":
        flash(_("The correction is applied and the customer's request is answered."), "info")
