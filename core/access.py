"""Who may do what: one role × view × right table that the base view and services read.

Rights are letters: L list, D details, C create, E edit, X delete, O export.
Adding a view means adding its row here; the access-matrix test fails on a view missing
from this table, so nothing ships unguarded.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

#: The roles with a column in _TABLE below.
TABLE_ROLES = ("clerk", "supervisor", "region_manager", "custodian", "admin")
#: The outside auditor (PIPL Art. 54, DOMAIN.md 合规审查): reads what any role may list or
#: open, in every office, numbers always masked; never creates, edits, deletes, exports,
#: reveals or prints customer data, and every page it opens is logged. Its rights are derived
#: from the table (``_read_only_rights``), not a column of it.
AUDITOR = "auditor"
ROLES = (*TABLE_ROLES, AUDITOR)
#: Roles that only read: on a model view they reach the list and details pages only.
READ_ONLY_ROLES = frozenset({AUDITOR})
#: Roles each page they open is logged for, custom pages included (views/shared/base.py).
LOGGED_ROLES = frozenset({AUDITOR})

ROLE_LABELS = {
    "clerk": _l("Clerk / sales consultant"),
    "supervisor": _l("Sales supervisor"),
    "region_manager": _l("Region manager"),
    "custodian": _l("Archive custodian"),
    "admin": _l("Administrator"),
    AUDITOR: _l("Outside auditor"),
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
    # partners and their data-sharing agreements (views/privacy/partners.py): the admin keeps
    # the register, supervisors read it (they share under it)
    "partner":               ("",      "LD",      "",        "",       "LDCE"),
    "partner_agreement":     ("",      "LD",      "",        "",       "LDCE"),
}
# fmt: on

#: Model-view endpoints a read-only role may reach (views/shared/mixins/rights.py).
READ_ONLY_FUNCTIONS = frozenset({"index_view", "details_view", "details_panels_view"})


def _read_only_rights(row: tuple[str, ...]) -> frozenset[str]:
    """The auditor's letters on a view: list and details wherever any role holds them."""
    return frozenset("".join(row)) & {LIST, DETAILS}


RIGHTS: dict[str, dict[str, frozenset[str]]] = {
    view: {
        **{role: frozenset(letters) for role, letters in zip(TABLE_ROLES, row, strict=True)},
        AUDITOR: _read_only_rights(row),
    }
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
    # incidents (views/admin/incidents.py): the admin's register; a supervisor opens one and
    # sees and edits their own; the access-log query, notice, letters and sending are the admin's
    **{f"incidents.{n}": _APPROVERS for n in ("index", "create", "detail", "edit")},
    **{
        f"incidents.{n}": frozenset({"admin"})
        for n in ("issue", "reported", "close", "affected", "sent", "letter")
    },
    # the lockdown switch (views/admin/lockdown.py)
    **{f"lockdown.{n}": frozenset({"admin"}) for n in ("index", "lock", "lift")},
    # staff agreements and training (views/admin/staff.py); the page a blocked account sees
    **{
        f"staff.{n}": frozenset({"admin"})
        for n in (
            "index",
            "account",
            "agreement",
            "training",
            "scan",
            "training_session",
            "versions",
            "make_current",
            "courses",
            "course_active",
        )
    },
    "clearance.index": frozenset(ROLES),
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
    "unit_timeline.index": frozenset({"clerk", "supervisor", "custodian", "admin", AUDITOR}),
    "unit_timeline.unit": frozenset({"clerk", "supervisor", "custodian", "admin", AUDITOR}),
    # sales rules (views/sales/sales.py)
    "followups.index": frozenset({"clerk", "supervisor"}),
    "followups.stale": frozenset({"clerk", "supervisor"}),
    # collisions (撞单, views/sales/collisions.py): the office's supervisor rules; the admin reads
    "collisions.index": _APPROVERS | {AUDITOR},
    "collisions.rule": frozenset({"supervisor"}),
    "day_cards.index": frozenset({"supervisor"}),
    "day_cards.report": frozenset({"supervisor"}),
    # the weekly B/C count: each office's supervisor takes it; the admin reads every office's
    "weekly_count.index": _APPROVERS | {AUDITOR},
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
    # Excel import of welcome cards (views/shared/imports.py): who enters cards
    **{
        f"imports.{name}": frozenset({"clerk", "supervisor", "region_manager", "custodian"})
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
    **{f"spot_checks.{n}": _APPROVERS | {AUDITOR} for n in ("index", "week")},
    **{f"access_alerts.{n}": frozenset({"admin"}) for n in ("index", "ack", "rule")},
    # a print is a read like the page it comes from: prospect details, register, transfer desk
    "print_view.index": frozenset(ROLES),
    "print_view.card": frozenset({"clerk", "supervisor", "custodian", "admin"}),
    "print_view.register": frozenset({"supervisor", "custodian", "admin"}),
    "print_view.transfer": frozenset({"clerk", "supervisor"}),
    # sharing customers' data with a partner (views/privacy/partners.py, PIPL art. 23): the
    # supervisor and the admin share; clerks and supervisors record the customer's consent
    **{f"partner_sharing.{n}": _APPROVERS for n in ("index", "share", "download")},
    **{f"partner_sharing.{n}": frozenset({"clerk", "supervisor"}) for n in ("consent", "withdraw")},
    # the periodic compliance review (views/privacy/compliance_review.py): the admin and the
    # outside auditor read it, its lists and its A4 print
    **{f"compliance_review.{n}": frozenset({"admin", AUDITOR}) for n in ("index", "rows", "print")},
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
