"""The access log at /admin/audit/: read and filtered by the admin, edited by nobody."""

from __future__ import annotations

from flask_admin.contrib.sqla.filters import (
    DateTimeBetweenFilter,
    FilterEqual,
    FilterLike,
    IntEqualFilter,
)
from flask_babel import lazy_gettext as _l

from core import access
from core.clock import utc_from_office
from models.privacy.audit import AccessEvent
from views.shared.approvals import record_type_label
from views.shared.base import SecureModelView


class OfficeTimeBetweenFilter(DateTimeBetweenFilter):
    """A time range typed in Beijing time, as people read every time in the panel; the log
    keeps naive UTC, so both ends are converted before the query."""

    def clean(self, value: str) -> list:
        return [utc_from_office(moment) for moment in super().clean(value)]


ACTION_LABELS = [
    ("list", _l("list")),
    ("search", _l("search")),
    ("details", _l("details")),
    # the details page's panels, read after the page (views/shared/mixins/links.py)
    ("details_panels", _l("details: history and panels")),
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
    ("session_expired", _l("session expired")),
    ("session_revoked", _l("session ended by the panel")),
    ("denied", _l("refused")),
    # an account without a signed agreement or current training (services/admin/staff_clearance.py)
    ("blocked", _l("blocked: agreement or training missing")),
    ("not_found", _l("not found / out of scope")),
    ("print", _l("print")),
    # incidents and the lockdown (services/admin/incidents.py, services/admin/lockdown.py)
    ("lockdown", _l("lockdown begun")),
    ("lockdown_lift", _l("lockdown lifted")),
    ("notice_issued", _l("incident notice issued")),
    ("notice_sent", _l("incident notice sent")),
    ("report", _l("report viewed")),
    ("page", _l("page opened")),
    ("alert", _l("unusual-access alert")),
    ("alert_ack", _l("alert acknowledged")),
    # the retention review (services/privacy/retention.py)
    ("retention_asked", _l("retention batch asked")),
    ("retention_rejected", _l("retention batch rejected")),
    ("retention_anonymise", _l("anonymised (retention)")),
    ("retention_cleared", _l("observation notes cleared (retention)")),
    ("log_purge", _l("old access-log events deleted")),
    ("restore_drill", _l("restore drill of a backup")),
    # customers' requests (services/privacy/subject_requests.py, services/privacy/corrections.py)
    ("subject_request", _l("customer's request registered")),
    ("subject_copy", _l("customer's copy given")),
    ("subject_answered", _l("customer's request answered")),
    ("subject_refused", _l("customer's request refused")),
    ("anonymise_asked", _l("anonymisation asked")),
    ("anonymise", _l("anonymised (customer's request)")),
    # complaints (services/care/complaints.py)
    ("complaint_registered", _l("complaint registered")),
    ("complaint_assigned", _l("complaint handler assigned")),
    ("complaint_answered", _l("complaint answered")),
    ("complaint_closed", _l("complaint closed")),
    # desks
    ("household_add", _l("household member added")),
    ("household_remove", _l("household member removed")),
    ("transfer_open", _l("transfer opened")),
    ("transfer_tick", _l("transfer item ticked")),
    ("transfer_untick", _l("transfer item unticked")),
    ("transfer_complete", _l("transfer completed")),
    ("transfer_cancel", _l("transfer cancelled")),
    ("import_check", _l("import checked")),
    ("import", _l("import")),
    # collisions at the sales office (services/sales/collisions.py)
    ("collision_filed", _l("collision filed for a ruling")),
    ("collision_ruled", _l("collision ruled")),
    # sharing with partners (services/privacy/sharing.py): the record is the partner
    ("share", _l("shared with a partner")),
    ("share_download", _l("shared file downloaded")),
    ("partner_consent", _l("partner consent recorded")),
    ("partner_withdraw", _l("partner consent withdrawn")),
]

#: How a looked-at record ended (services/privacy/audit.record ``outcome``).
OUTCOME_LABELS = [("ok", _l("ok")), ("denied", _l("refused")), ("failed", _l("failed"))]
_ACTIONS = dict(ACTION_LABELS)


def action_label(code: str) -> str:
    return str(_ACTIONS.get(code, code))


def _record_type(view, context, model, name) -> str:
    return record_type_label(model.record_type) if model.record_type else ""


class AuditView(SecureModelView):
    access_key = "audit"
    # Nobody holds C, E or X here (core/access.py); the log is append-only anyway.
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
        "at": _l("When"),
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
    column_choices = {
        "action": ACTION_LABELS,
        "role": list(access.ROLE_LABELS.items()),
        "outcome": OUTCOME_LABELS,
    }
    column_formatters = {"record_type": _record_type}
    column_filters = (
        FilterLike(AccessEvent.username, _l("Account")),
        FilterEqual(AccessEvent.action, _l("Action"), options=ACTION_LABELS),
        FilterEqual(AccessEvent.record_type, _l("Record type")),
        IntEqualFilter(AccessEvent.record_id, _l("Record")),
        FilterEqual(
            AccessEvent.outcome,
            _l("Outcome"),
            options=OUTCOME_LABELS,
        ),
        FilterLike(AccessEvent.ip, _l("Client address")),
        OfficeTimeBetweenFilter(AccessEvent.at, _l("When (Beijing time)")),
    )
    column_searchable_list = ("username", "ip", "request_id")
    column_sortable_list = ("seq", "at", "username", "action")
    column_default_sort = ("seq", True)
    export_max_rows = 100_000


def register(admin, db) -> None:
    admin.add_view(AuditView(AccessEvent, db, name=_l("Access log"), category=_l("Administration")))
