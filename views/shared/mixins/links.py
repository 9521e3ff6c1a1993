"""Links: what the details page shows around the record.

Owns ``related_links`` (subclasses add theirs) and ``allowed_related_links`` (those the
current role may open), ``access_panel`` (who looked at this record, for supervisors and
admins), ``record_panel`` (a gated record's pending requests, change history and
consents) and ``details_panels_view``.

The panels below a record's own fields (change history, consents, partner sharing, who
looked, and what a view adds such as a card's receptions) are, on a view with
``details_panels_deferred``, not read by the details page: the page shows the record's own
fields and a link to ``details_panels_view``, which the page's script fetches once it has
loaded (static/panel.js) and which without script opens as a page of its own. That endpoint
needs the details right (views/shared/mixins/rights.py), finds the record through the
view's scoped ``get_one`` (another office's record, or another consultant's card, is a 404)
and its look is an access event of its own, ``details_panels``, with the record's id
(views/shared/mixins/access_log.py): a look at the panels without the page is logged too.

Relies on: ``self.access_key`` (RightsMixin), ``self.is_gated`` (ChangesMixin) and
``self.consent_bases`` (ConsentMixin).
"""

from __future__ import annotations

from flask import abort, g, request, url_for
from flask_admin import expose
from flask_babel import lazy_gettext as _l

from core import access
from extensions import db
from services.privacy import audit
from services.privacy import consent as consents
from services.shared import approvals
from views.shared.mixins.rights import current_role


class LinksMixin:
    #: Roles that see "who looked at this record" on details pages.
    access_panel_roles = frozenset({"supervisor", "admin"})
    #: Whether the details page leaves its panels to ``details_panels_view`` (read after the
    #: page) instead of reading them itself.
    details_panels_deferred = False
    #: The panels' template (a fragment; a view adds its own panels by extending it).
    details_panels_template = "admin/model/details_panels.html"
    #: The details page's link to its panels (what the page's script replaces with them).
    details_panels_link = _l("Show the history, consents and who looked")

    @expose("/details/panels/")
    def details_panels_view(self):
        """The details page's panels of one record: a fragment for the page's script
        (``?partial=1``), otherwise a page of its own (the link shown without script). A
        view whose details page reads its panels itself has none to serve."""
        if not self.details_panels_deferred:
            abort(404)
        model = self.get_one(request.args.get("id"))
        if request.args.get("partial") == "1":
            g.fragment = True  # no navbar around it: its badges are not counted (views/)
            return self.render(self.details_panels_template, model=model)
        return self.render(
            "admin/model/details_panels_page.html",
            model=model,
            panels_template=self.details_panels_template,
            return_url=self.get_url(".details_view", id=model.id),
        )

    def details_panels_url(self, model, partial: bool = False) -> str:
        args = {"id": model.id, "partial": "1"} if partial else {"id": model.id}
        return self.get_url(".details_panels_view", **args)

    def pending_requests(self, model) -> list:
        """The record's change requests waiting for a decision (the details page's alert),
        read once a request."""
        if not self.is_gated:
            return []
        if not self.details_panels_deferred:
            return self.record_panel(model)["pending"]
        # Read once a request: the page's alert and a card's scout proposal both ask.
        known = g.setdefault("pending_requests", {})
        if model.id not in known:
            known[model.id] = approvals.pending_for_record(db.session, self.access_key, model.id)
        return known[model.id]

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

    def access_panel(self, model, role_label=None, action_label=None):
        """Latest access-log events about this record, for supervisors and admins: rows of
        (at, username, role, action, ip). Given the page's ``role_label`` and
        ``action_label``, ``role`` and ``action`` are their labels, each looked up once (up
        to fifty rows name a handful of roles and actions)."""
        if current_role() not in self.access_panel_roles:
            return None
        rows = audit.events_for_record(db.session, self.access_key, model.id)
        if role_label is None or action_label is None:
            return rows
        roles: dict = {}
        actions: dict = {}
        return [
            (
                row.at,
                row.username,
                _label(roles, role_label, row.role) if row.role else None,
                _label(actions, action_label, row.action),
                row.ip,
            )
            for row in rows
        ]

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
            # With the panels after the page, the page reads these (pending_requests).
            "pending": (
                []
                if self.details_panels_deferred
                else approvals.pending_for_record(db.session, self.access_key, model.id)
            ),
            "history": approvals.history_for_record(db.session, self.access_key, model.id),
            "consents": (
                consents.for_subject(db.session, self.access_key, model.id)
                if self.consent_bases
                else None
            ),
        }


def _label(known: dict, label, code):
    if code not in known:
        known[code] = label(code)
    return known[code]


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
