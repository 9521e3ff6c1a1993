"""Move-ins (入伙) after a transfer and household changes (家庭成员变动) of a unit."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import AuditedMixin, Base, OfficeOwnedMixin, intpk, ref_item_fk

MOVE_IN_STATUSES = ("open", "done")
HOUSEHOLD_CHANGE_KINDS = ("added", "removed")


class MoveIn(OfficeOwnedMixin, AuditedMixin, Base):
    """A new owner moving into a unit, with its short checklist."""

    __office_parents__ = ("unit",)

    __tablename__ = "move_ins"
    __table_args__ = (CheckConstraint("status IN ('open','done')", name="status"),)

    id: Mapped[intpk]
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    #: The owner moving in.
    owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id", ondelete="RESTRICT"), index=True)
    #: The transfer that made the owner, if any.
    transfer_id: Mapped[int | None] = mapped_column(
        ForeignKey("transfers.id", ondelete="SET NULL"), index=True
    )
    #: Day the owner moves in.
    moved_in_on: Mapped[date] = mapped_column(Date)
    #: The move-in form is filled in.
    form_done: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Resident cards are issued to the new household.
    cards_issued: Mapped[bool] = mapped_column(Boolean, default=False)
    #: open or done.
    status: Mapped[str] = mapped_column(String(10), default="open")

    unit = relationship("Unit", foreign_keys=[unit_id])
    owner = relationship("Owner", foreign_keys=[owner_id])
    transfer = relationship("Transfer", foreign_keys=[transfer_id])


class HouseholdChange(OfficeOwnedMixin, AuditedMixin, Base):
    """A member added to or removed from a unit's household, effective on a date."""

    __office_parents__ = ("unit",)

    __tablename__ = "household_changes"
    __table_args__ = (CheckConstraint("kind IN ('added','removed')", name="kind"),)

    id: Mapped[intpk]
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    #: The member concerned.
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("household_members.id", ondelete="SET NULL"), index=True
    )
    #: Member's name at the time of the change (personal data).
    member_name: Mapped[str] = mapped_column(String(50))
    #: added or removed.
    kind: Mapped[str] = mapped_column(String(10))
    #: Why (list ``household_change_reason``).
    reason_id: Mapped[int | None] = ref_item_fk()
    #: Day the change takes effect.
    effective_on: Mapped[date] = mapped_column(Date)
    #: Who recorded it.
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    unit = relationship("Unit", foreign_keys=[unit_id])
    member = relationship("HouseholdMember", foreign_keys=[member_id])
    reason = relationship("ReferenceItem", foreign_keys=[reason_id])
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])
