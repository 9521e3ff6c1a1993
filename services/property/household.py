"""Household changes (家庭成员变动): a member added or removed with a reason and the date it
takes effect; the member list of a unit on any date."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models.admin.people import User
from models.admin.reference import ReferenceItem, ReferenceList
from models.property.moves import HouseholdChange
from models.property.property import HouseholdMember, Unit
from services.privacy import audit
from services.property import household_history
from services.shared import approvals
from services.shared.approval_policy import gated_fields


class HouseholdError(Exception):
    message = _l("The household change was refused.")

    def __init__(self, message=None):
        super().__init__()
        if message is not None:
            self.message = message


class BadReason(HouseholdError):
    message = _l("Choose a reason from the list.")


class AlreadyLeft(HouseholdError):
    message = _l("This member has already left the household.")


class BeforeJoining(HouseholdError):
    message = _l("A member cannot leave before joining.")


class MissingName(HouseholdError):
    message = _l("Enter the member's name.")


def _reason(session: Session, reason_id: int | None) -> ReferenceItem:
    item = session.scalar(
        select(ReferenceItem)
        .join(ReferenceList)
        .where(ReferenceItem.id == reason_id, ReferenceList.code == "household_change_reason")
    )
    if item is None:
        raise BadReason()
    return item


def _log(session: Session, user: User, action: str, member: HouseholdMember) -> None:
    audit.record(
        session,
        audit.Actor(user.id, user.username, user.role_code),
        action,
        record_type="household_member",
        record_id=member.id,
    )


def add_member(
    session: Session,
    user: User,
    unit: Unit,
    *,
    name: str,
    reason_id: int | None,
    effective_on: date,
    relation_id: int | None = None,
    mobile: str | None = None,
) -> HouseholdChange:
    """A new member of ``unit``'s household from ``effective_on``."""
    name = (name or "").strip()
    if not name:
        raise MissingName()
    reason = _reason(session, reason_id)
    member = HouseholdMember(
        unit=unit,
        name=name,
        relation_id=relation_id,
        mobile=mobile or None,
        joined_on=effective_on,
        change_reason=reason,
        created_by_id=user.id,
    )
    change = HouseholdChange(
        unit=unit,
        member=member,
        member_name=name,
        kind="added",
        reason=reason,
        effective_on=effective_on,
        recorded_by_id=user.id,
        created_by_id=user.id,
    )
    session.add_all([member, change])
    session.flush()
    _log(session, user, "household_add", member)
    return change


def remove_member(
    session: Session,
    user: User,
    member: HouseholdMember,
    *,
    reason_id: int | None,
    effective_on: date,
) -> HouseholdChange | approvals.ChangeRequest:
    """``member`` leaves the household on ``effective_on``; the member row stays as history.
    For a role whose changes need approval, returns the change request filed instead."""
    reason = _reason(session, reason_id)
    if member.left_on is not None:
        raise AlreadyLeft()
    if member.joined_on is not None and effective_on < member.joined_on:
        raise BeforeJoining()
    plain = {
        "left_on": (None, effective_on),
        "change_reason_id": (member.change_reason_id, reason.id),
    }
    if gated_fields("household_member", user.role_code, plain):
        # A removal changes a customer record: roles that must ask file a change request;
        # the household change is written when it is approved (after_approved_change).
        return approvals.file_update(
            session,
            user=user,
            record_type="household_member",
            record=member,
            changes={
                "left_on": {
                    "old": None,
                    "new": effective_on,
                    "old_label": None,
                    "new_label": effective_on.isoformat(),
                },
                "change_reason_id": {
                    "old": member.change_reason_id,
                    "new": reason.id,
                    "old_label": str(member.change_reason) if member.change_reason else None,
                    "new_label": str(reason),
                },
            },
            reason=str(_l("Leaves the household: %(reason)s", reason=str(reason))),
        )
    member.left_on = effective_on
    member.change_reason = reason
    change = household_history.removal(member, reason, effective_on, user.id)
    session.add(change)
    session.flush()
    _log(session, user, "household_remove", member)
    return change


def members_on(session: Session, unit_id: int, on: date) -> list[HouseholdMember]:
    """Who lived in the unit on ``on``: joined by then (or undated) and not yet left."""
    return list(
        session.scalars(
            select(HouseholdMember)
            .where(
                HouseholdMember.unit_id == unit_id,
                or_(HouseholdMember.joined_on.is_(None), HouseholdMember.joined_on <= on),
                or_(HouseholdMember.left_on.is_(None), HouseholdMember.left_on > on),
            )
            .order_by(HouseholdMember.joined_on, HouseholdMember.id)
        )
    )
