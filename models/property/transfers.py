"""Property-right transfers (产权转让) and their checklist items."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import AuditedMixin, Base, OfficeOwnedMixin, VersionedMixin, intpk, ref_item_fk

TRANSFER_STATUSES = ("open", "completed", "cancelled")


class Transfer(OfficeOwnedMixin, AuditedMixin, VersionedMixin, Base):
    """A transfer of a unit from its current owner (seller) to a buyer."""

    __office_parents__ = ("unit",)

    __tablename__ = "transfers"
    __table_args__ = (
        CheckConstraint("status IN ('open','completed','cancelled')", name="status"),
        CheckConstraint("seller_id <> buyer_id", name="distinct_parties"),
        Index(
            "uq_transfers_open_unit",
            "unit_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[intpk]
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    #: The current owner who sells.
    seller_id: Mapped[int] = mapped_column(ForeignKey("owners.id", ondelete="RESTRICT"), index=True)
    #: The new owner.
    buyer_id: Mapped[int] = mapped_column(ForeignKey("owners.id", ondelete="RESTRICT"), index=True)
    #: open, completed, cancelled.
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)
    #: Day both parties came to the office.
    opened_on: Mapped[date] = mapped_column(Date)
    #: Day the transfer was completed.
    completed_on: Mapped[date | None] = mapped_column(Date)
    #: Why it was cancelled.
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    #: Free notes.
    notes: Mapped[str | None] = mapped_column(Text)

    unit = relationship("Unit", foreign_keys=[unit_id])
    seller = relationship("Owner", foreign_keys=[seller_id])
    buyer = relationship("Owner", foreign_keys=[buyer_id])
    items: Mapped[list[TransferItem]] = relationship(
        back_populates="transfer", order_by="TransferItem.position", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return f"{self.unit}: {self.seller} → {self.buyer}"


class TransferItem(AuditedMixin, Base):
    """One checklist item of a transfer, ticked with who, when and a note."""

    __tablename__ = "transfer_items"

    id: Mapped[intpk]
    transfer_id: Mapped[int] = mapped_column(
        ForeignKey("transfers.id", ondelete="CASCADE"), index=True
    )
    #: Order on the checklist.
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: The kind of item (list ``transfer_item``).
    kind_id: Mapped[int] = ref_item_fk(nullable=False)
    #: The resident card this item is about, for "card returned" items.
    resident_card_id: Mapped[int | None] = mapped_column(
        ForeignKey("resident_cards.id", ondelete="SET NULL")
    )
    #: The vehicle card this item is about.
    vehicle_card_id: Mapped[int | None] = mapped_column(
        ForeignKey("vehicle_cards.id", ondelete="SET NULL")
    )
    #: When it was ticked; NULL while open.
    done_at: Mapped[datetime | None]
    #: Who ticked it.
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: Receipt number, amount or other note.
    note: Mapped[str | None] = mapped_column(String(200))

    transfer: Mapped[Transfer] = relationship(back_populates="items")
    kind = relationship("ReferenceItem", foreign_keys=[kind_id])
    resident_card = relationship("ResidentCard", foreign_keys=[resident_card_id])
    vehicle_card = relationship("VehicleCard", foreign_keys=[vehicle_card_id])
    done_by = relationship("User", foreign_keys=[done_by_id])

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    def __str__(self) -> str:
        return str(self.kind)
