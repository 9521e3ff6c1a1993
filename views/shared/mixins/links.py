"""Links: what the details page shows around the record.

Owns ``related_links`` (subclasses add theirs) and ``allowed_related_links`` (those the
current role may open), ``access_panel`` (who looked at this record, for supervisors and
admins) and ``record_panel`` (a gated record's pending requests, change history and
consents).

Relies on: ``self.access_key`` (RightsMixin), ``self.is_gated`` (ChangesMixin) and
``self.consent_bases`` (ConsentMixin).
"""

from __future__ import annotations

from flask import g, url_for

from core import access
from extensions import db
from services.privacy import audit
from services.privacy import consent as consents
from services.shared import approvals
from views.shared.mixins.rights import current_role


class LinksMixin:
    #: Roles that see "who looked at this record" on details pages.
    access_panel_roles = frozenset({"supervisor", "admin"})

    def related_links(self, model) -> list[tuple[str, str, dict]]:
        """Pages about this record, as (label, endpoint, url arguments); the details page
        shows those the current role may open. Subclasses add theirs."""
        return []

    def allowed_related_links(self, model) -> list[tuple[str, str]]:
        role = current_role()
        return [
            (label, url_for(endpoint, **args))
            for label, endpoint, args in self.related_links(model)
            if _may_open(role, endpoint)
        ]

    def access_panel(self, model):
        """Latest access-log events about this record, for supervisors and admins."""
        if current_role() not in self.access_panel_roles:
            return None
        return audit.events_for_record(db.session, self.access_key, model.id)

    def record_panel(self, model) -> dict:
        """Pending requests and change history shown on a gated record's details page (the
        page asks twice, for its buttons and its tables: read once a request)."""
        if not self.is_gated:
            return {}
        known = g.setdefault("record_panel", {})
        if model.id not in known:
            known[model.id] = self._read_record_panel(model)
        return known[model.id]

    def _read_record_panel(self, model) -> dict:
        return {
            "pending": approvals.pending_for_record(db.session, self.access_key, model.id),
            "history": approvals.history_for_record(db.session, self.access_key, model.id),
            "consents": (
                consents.for_subject(db.session, self.access_key, model.id)
                if self.consent_bases
                else None
            ),
        }


def _may_open(role: str | None, endpoint: str) -> bool:
    """Whether ``role`` may open ``endpoint``: a custom page of access.PAGES, or a model
    view's list, details or create page by its rights."""
    if endpoint in access.PAGES:
        return role in access.PAGES[endpoint]
    view, _dot, function = endpoint.partition(".")
    needed = {
        "index_view": access.LIST,
        "details_view": access.DETAILS,
        "create_view": access.CREATE,
    }.get(function)
    return needed is not None and access.can(role, view, needed)
