"""Sharing with a partner from a customer's screens (services/privacy/sharing.py): the list
action "Share with a partner" for a chosen set, and the "Shared with" panel of the details
page (templates/admin/partner_sharing/panel.html, included by panel_details.html).

Mixed into the prospect and owner views; imports no area's screens."""

from __future__ import annotations

from flask import abort, current_app, redirect, url_for
from flask_admin.actions import action
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from core import access
from extensions import db
from models.privacy.partners import Partner
from services.privacy import sharing

#: The custom page's endpoints (core/access.PAGES) each part of the panel needs.
SHARE_ENDPOINT = "partner_sharing.index"
CONSENT_ENDPOINT = "partner_sharing.consent"
#: Customers taken from one list page at most (a list page shows 100 rows at most).
MAX_CHOSEN = 200


def _role() -> str | None:
    return current_user.role_code if current_user.is_authenticated else None


def may_share() -> bool:
    return _role() in access.PAGES.get(SHARE_ENDPOINT, frozenset())


def may_record_consent() -> bool:
    return _role() in access.PAGES.get(CONSENT_ENDPOINT, frozenset())


class PartnerShareActionMixin:
    """The list action; its right is the list's (L), and only roles that share see it."""

    action_rights: dict[str, str] = {"delete": access.DELETE, "share_partner": access.LIST}

    def is_action_allowed(self, name: str) -> bool:
        if name == "share_partner" and not may_share():
            return False
        return super().is_action_allowed(name)

    @action("share_partner", _l("Share with a partner"))
    def action_share_partner(self, ids):
        if not may_share():
            abort(403)
        chosen = [str(int(i)) for i in ids if str(i).isdigit()][:MAX_CHOSEN]
        return redirect(url_for(SHARE_ENDPOINT, kind=self.access_key, ids=",".join(chosen)))


def sharing_panel(view_key: str, model) -> dict | None:
    """What the details page shows about sharing this customer, or None for other records."""
    if view_key not in sharing.MODELS or model is None:
        return None
    consents = sharing.consents_for(db.session, view_key, model.id)
    standing = {c.partner_id for c in consents if c.withdrawn_at is None}
    partners = list(db.session.scalars(select(Partner).order_by(Partner.name)))
    return {
        "kind": view_key,
        "id": model.id,
        "shares": sharing.shares_for(db.session, view_key, model.id),
        "consents": consents,
        "partners_to_ask": [p for p in partners if p.id not in standing],
        "can_consent": may_record_consent(),
        "can_share": may_share() and bool(partners),
        "notice_version": current_app.config["PRIVACY_POLICY_VERSION"],
        "field_labels": sharing.field_labels,
    }
