"""The access log at /admin/audit/: read and filtered by the admin, edited by nobody."""

from __future__ import annotations

from flask_admin.contrib.sqla.filters import (
    DateTimeBetweenFilter,
    FilterEqual,
    FilterLike,
    IntEqualFilter,
)
from flask_babel import lazy_gettext as _l

from models.audit import AccessEvent
from views.base import SecureModelView

ACTION_LABELS = [
    ("list", _l("list")),
    ("search", _l("search")),
    ("details", _l("details")),
    ("reveal", _l("reveal")),
    ("export", _l("export")),
    ("create", _l("create")),
    ("update", _l("update")),
    ("delete", _l("delete")),
    ("request", _l("change request")),
    ("approve", _l("approve")),
    ("reject", _l("reject")),
    ("login", _l("sign-in")),
    ("login_failed", _l("failed sign-in")),
    ("logout", _l("sign-out")),
    ("denied", _l("refused")),
    ("not_found", _l("not found / out of scope")),
    ("print", _l("print")),
    ("alert", _l("unusual-access alert")),
    ("alert_ack", _l("alert acknowledged")),
]


class AuditView(SecureModelView):
    access_key = "audit"
    # Nobody holds C, E or X here (services/access.py); the log is append-only anyway.
    action_rights: dict[str, str] = {}
    column_list = (
        "seq",
        "at",
        "username",
        "role",
        "action",
        "record_type",
        "record_id",
        "outcome",
        "ip",
        "path",
    )
    column_details_list = (
        "seq",
        "at",
        "user_id",
        "username",
        "role",
        "action",
        "record_type",
        "record_id",
        "record_ids",
        "term_hmac",
        "outcome",
        "ip",
        "request_id",
        "path",
        "prev_hash",
        "hash",
    )
    column_export_list = column_details_list
    column_labels = {
        "seq": _l("No."),
        "at": _l("When (UTC)"),
        "user_id": _l("Account id"),
        "username": _l("Account"),
        "role": _l("Role"),
        "action": _l("Action"),
        "record_type": _l("Record type"),
        "record_id": _l("Record"),
        "record_ids": _l("Records"),
        "term_hmac": _l("Search term (keyed hash)"),
        "outcome": _l("Outcome"),
        "ip": _l("Client address"),
        "request_id": _l("Request id"),
        "path": _l("Page"),
        "prev_hash": _l("Previous hash"),
        "hash": _l("Hash"),
    }
    column_choices = {"action": ACTION_LABELS}
    column_filters = (
        FilterLike(AccessEvent.username, _l("Account")),
        FilterEqual(AccessEvent.action, _l("Action"), options=ACTION_LABELS),
        FilterEqual(AccessEvent.record_type, _l("Record type")),
        IntEqualFilter(AccessEvent.record_id, _l("Record")),
        FilterEqual(
            AccessEvent.outcome,
            _l("Outcome"),
            options=[("ok", _l("ok")), ("denied", _l("refused")), ("failed", _l("failed"))],
        ),
        FilterLike(AccessEvent.ip, _l("Client address")),
        DateTimeBetweenFilter(AccessEvent.at, _l("When (UTC)")),
    )
    column_searchable_list = ("username", "ip", "request_id")
    column_sortable_list = ("seq", "at", "username", "action")
    column_default_sort = ("seq", True)
    export_max_rows = 100_000


def register(admin, db) -> None:
    admin.add_view(AuditView(AccessEvent, db, name=_l("Access log"), category=_l("Administration")))
