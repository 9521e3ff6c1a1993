"""Which records and fields are gated by approval, and who approves: one declarative table.

Roles in ``direct_editors`` change the record directly, except for what ``always_gated``
says (a grade downgrade, flagging a scout); every other role with an edit right files a
change request. Deletion of a gated record is always a request. Creating a record and
adding a visit or follow-up stay direct.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

GRADE_ORDER = {"A": 4, "B": 3, "C": 2, "D": 1}


def is_downgrade(old, new) -> bool:
    """A→B, B→C, C→D... (and any grade to none) is a downgrade; upgrades are direct."""
    if old is None or old == new:
        return False
    return GRADE_ORDER.get(new, 0) < GRADE_ORDER.get(old, 0)


def flags_scout(old, new) -> bool:
    return bool(new) and not bool(old)


@dataclass(frozen=True)
class GatePolicy:
    #: Roles that may approve or reject requests on this record type.
    approvers: frozenset[str]
    #: Roles whose edits apply directly (apart from ``always_gated``).
    direct_editors: frozenset[str] = frozenset()
    #: Columns excluded from gating (bookkeeping the office changes freely); none by default.
    ungated: frozenset[str] = frozenset()
    #: column -> predicate(old, new): changes that need approval whoever makes them.
    always_gated: dict[str, Callable[[object, object], bool]] = field(default_factory=dict)


SALES_APPROVERS = frozenset({"supervisor", "admin"})

POLICIES: dict[str, GatePolicy] = {
    "prospect": GatePolicy(
        approvers=SALES_APPROVERS,
        direct_editors=frozenset({"supervisor"}),
        ungated=frozenset({"last_contact_on", "first_visit_on"}),
        always_gated={"grade": is_downgrade, "is_scout": flags_scout},
    ),
    "owner": GatePolicy(approvers=SALES_APPROVERS, direct_editors=frozenset({"supervisor"})),
    "household_member": GatePolicy(
        approvers=SALES_APPROVERS, direct_editors=frozenset({"supervisor"})
    ),
    "tenant": GatePolicy(approvers=SALES_APPROVERS, direct_editors=frozenset({"supervisor"})),
    "dealer": GatePolicy(approvers=SALES_APPROVERS),
    "dealer_data_card": GatePolicy(approvers=SALES_APPROVERS),
}


def policy_for(record_type: str) -> GatePolicy | None:
    return POLICIES.get(record_type)


def gated_fields(record_type: str, role: str, changes: dict[str, tuple]) -> set[str]:
    """The columns among ``changes`` ({column: (old, new)}) that need a change request when
    ``role`` makes them."""
    policy = POLICIES.get(record_type)
    if policy is None:
        return set()
    gated = set()
    for column, (old, new) in changes.items():
        rule = policy.always_gated.get(column)
        always = rule is not None and rule(old, new)
        by_role = role not in policy.direct_editors and column not in policy.ungated
        if always or by_role:
            gated.add(column)
    return gated


def deletion_is_gated(record_type: str) -> bool:
    return record_type in POLICIES


def may_approve(record_type: str, role: str) -> bool:
    policy = POLICIES.get(record_type)
    return policy is not None and role in policy.approvers


def approver_roles() -> frozenset[str]:
    return frozenset().union(*(p.approvers for p in POLICIES.values()))
