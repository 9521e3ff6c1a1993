"""The unit's household timeline entries (家庭成员变动 rows), written both by the household
desk (services/property/household.py) and by an approved correction that ends a membership
(services/shared/approvals.py); kept apart so neither of those two imports the other."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from models.property.moves import HouseholdChange
from models.property.property import HouseholdMember


def removal(member: HouseholdMember, reason, effective_on: date, by_id: int) -> HouseholdChange:
    """The timeline entry of ``member`` leaving the household."""
    return HouseholdChange(
        unit_id=member.unit_id,
        member=member,
        member_name=member.name,
        kind="removed",
        reason=reason,
        effective_on=effective_on,
        recorded_by_id=by_id,
        created_by_id=by_id,
    )


def after_approved_change(session: Session, request, member: HouseholdMember) -> None:
    """An approved request that ends a membership writes the household change the desk
    would have written, recorded by the requester, so the unit's timeline stays whole."""
    left = (request.changes or {}).get("left_on")
    if left and left.get("old") is None and member.left_on is not None:
        session.add(removal(member, member.change_reason, member.left_on, request.requested_by_id))
