"""Rights: who may open which endpoint of a model view (core/access.py).

Owns ``access_key``, the per-request ``rights`` of the signed-in role, the ``can_*``
properties, ``is_accessible`` and ``_handle_view`` (one choke point per endpoint: each
endpoint needs its right, an endpoint nobody declared is refused) and which batch actions
are allowed.

Relies on: ``self.is_gated`` (ChangesMixin) and ``self.get_export_columns``
(ExportingMixin).
"""

from __future__ import annotations

from flask import abort, has_request_context, redirect, request, url_for
from flask_login import current_user

from core import access

# Endpoint function name -> right it needs. Anything not listed is refused.
ENDPOINT_RIGHTS = {
    "index_view": access.LIST,
    "details_view": access.DETAILS,
    # The details page's panels, read after the page (views/shared/mixins/links.py).
    "details_panels_view": access.DETAILS,
    "create_view": access.CREATE,
    "edit_view": access.EDIT,
    "delete_view": access.DELETE,
    "export": access.EXPORT,
    "ajax_update": access.EDIT,
    "ajax_lookup": access.LIST,
    # Asking for a deletion is part of correcting a record: it needs the edit right.
    "request_delete_view": access.EDIT,
    # Showing full numbers: reaching it needs details; reveal_view checks can_reveal itself.
    "reveal_view": access.DETAILS,
    # Recording a customer's withdrawal of consent changes their record.
    "withdraw_consent_view": access.EDIT,
    # action_view is checked per action, below.
}


def current_role() -> str | None:
    # The account read through the proxy once: the menu asks this of every view on every page.
    user = current_user._get_current_object()
    return user.role_code if user.is_authenticated else None


class RightsMixin:
    #: Key of this view's row in core/access.py; also its endpoint and URL.
    access_key: str = ""
    #: Right each batch action needs (action name -> letter).
    action_rights: dict[str, str] = {"delete": access.DELETE}
    #: Rights for extra @expose endpoints of a subclass (function name -> letter).
    extra_endpoint_rights: dict[str, str] = {}

    @property
    def rights(self) -> frozenset[str]:
        return access.rights_for(current_role(), self.access_key)

    def _right_or_scaffold(self, letter: str) -> bool:
        # Outside a request (scaffolding at start-up) answer True so every column list
        # is built; inside a request the role decides.
        if not has_request_context():
            return True
        return letter in self.rights

    @property
    def can_create(self) -> bool:  # type: ignore[override]
        return self._right_or_scaffold(access.CREATE)

    @property
    def can_edit(self) -> bool:  # type: ignore[override]
        return self._right_or_scaffold(access.EDIT)

    @property
    def can_delete(self) -> bool:  # type: ignore[override]
        return self._right_or_scaffold(access.DELETE)

    @property
    def can_export(self) -> bool:  # type: ignore[override]
        return self._right_or_scaffold(access.EXPORT)

    @property
    def read_only(self) -> bool:
        """The outside auditor: lists and details only, no step of any form is offered."""
        return has_request_context() and current_role() in access.READ_ONLY_ROLES

    def is_accessible(self) -> bool:
        # No role (signed out) holds no right.
        return access.LIST in self.rights

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)

    def _handle_view(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        rights = self.rights
        if not rights:
            abort(403)
        if current_role() in access.READ_ONLY_ROLES and name not in access.READ_ONLY_FUNCTIONS:
            abort(403)  # the outside auditor reads lists and details, nothing else
        if name == "action_view":
            action = request.form.get("action", "")
            needed = self.action_rights.get(action)
        else:
            needed = ENDPOINT_RIGHTS.get(name) or self.extra_endpoint_rights.get(name)
        if needed is None or needed not in rights:
            abort(403)
        if name == "export" and not self.get_export_columns():
            abort(403)
        return None

    def is_action_allowed(self, name: str) -> bool:
        if name == "delete" and self.is_gated:
            return False  # deletions of customer records are requests, one at a time
        needed = self.action_rights.get(name)
        return needed is not None and needed in self.rights and super().is_action_allowed(name)
