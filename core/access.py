"""Who may do what: one role × view × right table that the base view and services read.

Rights are letters: L list, D details, C create, E edit, X delete, O export.
Adding a view means adding its row here; the access-matrix test fails on a view missing
from this table, so nothing ships unguarded.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ROLES = ("clerk", "supervisor", "region_manager", "custodian", "admin")

ROLE_LABELS = {
    "clerk": _l("Clerk / sales consultant"),
    "supervisor": _l("Sales supervisor"),
    "region_manager": _l("Region manager"),
    "custodian": _l("Archive custodian"),
    "admin": _l("Administrator"),
}

LIST, DETAILS, CREATE, EDIT, DELETE, EXPORT = "L", "D", "C", "E", "X", "O"

# Customer records are not deleted by clerks: corrections and deletions go to a superior.
# Paper files are never deleted, only recorded as destroyed.
# fmt: off
#                            clerk     supervisor  region_mgr  custodian  admin
_TABLE: dict[str, tuple[str, str, str, str, str]] = {
    # prospects
    "prospect":              ("LDCE",  "LDCEXO",  "",        "LD",     "LD"),
    # customers' requests about their data (services/privacy/subject_requests.py)
    "subject_request":       ("LDC",   "LDC",     "",        "",       "LDC"),
    # customers' complaints (services/care/complaints.py): clerks register and answer their own,
    # supervisors assign, answer and close; the admin reads
    "complaint":             ("LDC",   "LDCE",    "",        "",       "LD"),
    "visit":                 ("LDCE",  "LDCEXO",  "",        "",       "LD"),
    # dealers
    "dealer":                ("",      "LDO",     "LDCEO",   "",       "LD"),
    "dealer_data_card":      ("",      "LDO",     "LDCEO",   "",       "LD"),
    "potential_dealer_file": ("",      "LDO",     "LDCEO",   "",       "LD"),
    "dealer_visit":          ("",      "LDO",     "LDCEO",   "",       "LD"),
    # owners, units, households
    "owner":                 ("LDCE",  "LDCEXO",  "",        "LD",     "LD"),
    "unit":                  ("LDCE",  "LDCEXO",  "",        "LD",     "LD"),
    "ownership":             ("LD",    "LDCEO",   "",        "LD",     "LD"),
    "household_member":      ("LDCE",  "LDCEXO",  "",        "",       "LD"),
    "tenant":                ("LDCE",  "LDCEXO",  "",        "LD",     "LD"),
    "lease":                 ("LDCE",  "LDCEXO",  "",        "",       "LD"),
    "resident_card":         ("LDCE",  "LDCEXO",  "",        "",       "LD"),
    "vehicle_card":          ("LDCE",  "LDCEXO",  "",        "",       "LD"),
    "parking_space":         ("LDCE",  "LDCEXO",  "",        "",       "LD"),
    # transfers
    "transfer":              ("LDCE",  "LDCEO",   "",        "LD",     "LD"),
    # paper archives
    "archive_file":          ("LD",    "LDO",     "",        "LDCEO",  "LD"),
    # administration
    "user":                  ("",      "",        "",        "",       "LDCE"),
    # the group's offices and the projects each holds (views/admin/offices.py): never deleted,
    # closed by making them inactive
    "office":                ("",      "",        "",        "",       "LDCE"),
    "reference_list":        ("",      "",        "",        "",       "LDCE"),
    "reference_item":        ("",      "",        "",        "",       "LDCEO"),
    # the access log: read by the admin, changed by nobody (append-only in the database)
    "audit":                 ("",      "",        "",        "",       "LDO"),
}
# fmt: on

RIGHTS: dict[str, dict[str, frozenset[str]]] = {
    view: {role: frozenset(letters) for role, letters in zip(ROLES, row, strict=True)}
    for view, row in _TABLE.items()
}

#: Custom (non-model) admin pages and the roles that may open them.
_APPROVERS = frozenset({"supervisor", "admin"})
PAGES: dict[str, frozenset[str]] = {
    "admin.index": frozenset(ROLES),
    # the retention review: asked by one approver, approved by another; the admin sets the
    # periods (views/privacy/retention.py)
    "retention.index": _APPROVERS,
    "retention.request": _APPROVERS,
    "retention.decide": _APPROVERS,
    "retention.periods": frozenset({"admin"}),
    # the office's settings: recheck interval, complaints' answer time (views/admin/office_settings.py)
    "office_settings.index": frozenset({"admin"}),
    "office_settings.change": frozenset({"admin"}),
    # the approvals queue: who decides change requests (services/shared/approval_policy.py)
    "approvals.index": _APPROVERS,
    "approvals.detail": _APPROVERS,
    "approvals.approve": _APPROVERS,
    "approvals.reject": _APPROVERS,
    # everyone sees the outcome of their own requests
    "my_requests.index": frozenset(ROLES),
    # the archive desk (views/archive/archive_desk.py): custodians decide and hand out
    **{
        f"archive_desk.{n}": frozenset({"custodian"})
        for n in ("index", "find", "file", "destroy", "approve", "refuse", "hand_out", "take_back")
    },
    # the regular recheck of the paper files (views/archive/archive_recheck.py)
    "archive_recheck.index": frozenset({"custodian"}),
    "archive_recheck.rechecked": frozenset({"custodian"}),
    "archive_lookup.index": frozenset({"clerk", "supervisor"}),
    "archive_copies.index": frozenset({"supervisor"}),
    "archive_copies.approve": frozenset({"supervisor"}),
    "archive_copies.refuse": frozenset({"supervisor"}),
    "archive_register.index": frozenset({"supervisor", "custodian", "admin"}),
    "archive_register.export": frozenset({"supervisor", "custodian", "admin"}),
    # property changes at the desk (views/property/moves.py); the timeline is also read by the custodian
    **{
        f"transfer_desk.{name}": frozenset({"clerk", "supervisor"})
        for name in (
            "index",
            "detail",
            "tick",
            "untick",
            "complete",
            "cancel",
            "open_transfer",
            "end_lease",
            "household",
            "move_in",
            "move_in_item",
            "move_in_finish",
        )
    },
    "unit_timeline.index": frozenset({"clerk", "supervisor", "custodian", "admin"}),
    "unit_timeline.unit": frozenset({"clerk", "supervisor", "custodian", "admin"}),
    # sales rules (views/sales/sales.py)
    "followups.index": frozenset({"clerk", "supervisor"}),
    "followups.stale": frozenset({"clerk", "supervisor"}),
    # collisions (撞单, views/sales/collisions.py): the office's supervisor rules; the admin reads
    "collisions.index": _APPROVERS,
    "collisions.rule": frozenset({"supervisor"}),
    "day_cards.index": frozenset({"supervisor"}),
    "day_cards.report": frozenset({"supervisor"}),
    # the weekly B/C count: each office's supervisor takes it; the admin reads every office's
    "weekly_count.index": _APPROVERS,
    "weekly_count.snapshot": frozenset({"supervisor"}),
    # customer analysis (views/sales/analysis.py): counts of the office's cards, no person shown
    "customer_analysis.index": frozenset({"supervisor", "admin"}),
    "customer_analysis.export": frozenset({"supervisor", "admin"}),
    "dealer_deadlines.index": frozenset({"region_manager", "supervisor"}),
    "identity_checks.index": frozenset({"clerk", "supervisor"}),
    "identity_checks.record": frozenset({"clerk", "supervisor"}),
    # customer ownership (views/sales/pool.py): the pool and its claims (consultants take,
    # the supervisor watches), the office's directory, the supervisor's handover
    "customer_pool.index": frozenset({"clerk", "supervisor"}),
    "customer_pool.claim": frozenset({"clerk"}),
    "office_customers.index": frozenset({"clerk", "supervisor"}),
    "handover.index": frozenset({"supervisor"}),
    "handover.submit": frozenset({"supervisor"}),
    # Excel import of welcome cards (views/sales/imports.py): who enters cards
    **{
        f"imports.{name}": frozenset({"clerk", "supervisor"})
        for name in (
            "index",
            "mapping",
            "check",
            "preview",
            "run",
            "result",
            "cancel",
            "rejected",
            "progress",
        )
    },
    # daily work (views/sales/daily.py, views/shared/printing.py): spot checks, access alerts, print views
    # spot checks: each office's supervisor draws and checks; the admin reads every office's
    **{f"spot_checks.{n}": frozenset({"supervisor"}) for n in ("draw", "check")},
    **{f"spot_checks.{n}": _APPROVERS for n in ("index", "week")},
    **{f"access_alerts.{n}": frozenset({"admin"}) for n in ("index", "ack", "rule")},
    # a print is a read like the page it comes from: prospect details, register, transfer desk
    "print_view.index": frozenset(ROLES),
    "print_view.card": frozenset({"clerk", "supervisor", "custodian", "admin"}),
    "print_view.register": frozenset({"supervisor", "custodian", "admin"}),
    "print_view.transfer": frozenset({"clerk", "supervisor"}),
}


def rights_for(role: str | None, view: str) -> frozenset[str]:
    """The letters ``role`` holds on ``view``; nothing for an unknown role or view."""
    if not role:
        return frozenset()
    return RIGHTS.get(view, {}).get(role, frozenset())


def can(role: str | None, view: str, right: str) -> bool:
    return right in rights_for(role, view)


def role_label(code: str) -> str:
    return str(ROLE_LABELS.get(code, code))
