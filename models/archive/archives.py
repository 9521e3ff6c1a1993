"""Paper archive files (纸质档案) and where they are kept."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import AuditedMixin, Base, OfficeOwnedMixin, VersionedMixin, intpk

FILE_STATES = ("in_room", "lent_out", "destroyed")


class ArchiveFile(OfficeOwnedMixin, AuditedMixin, VersionedMixin, Base):
    """A paper file in the archive room; electronic records point to it."""

    __office_parents__ = ("unit", "owner", "prospect")

    __tablename__ = "archive_files"
    __table_args__ = (CheckConstraint("state IN ('in_room','lent_out','destroyed')", name="state"),)

    id: Mapped[intpk]
    #: Code printed on the folder, typed or scanned at the desk.
    code: Mapped[str] = mapped_column(String(30), unique=True)
    #: Title on the folder.
    title: Mapped[str] = mapped_column(String(200))
    #: The owner the file belongs to.
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("owners.id", ondelete="SET NULL"), index=True
    )
    #: The unit the file belongs to.
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("units.id", ondelete="SET NULL"), index=True
    )
    #: The prospect the file belongs to (paper welcome card).
    prospect_id: Mapped[int | None] = mapped_column(
        ForeignKey("prospects.id", ondelete="SET NULL"), index=True
    )
    #: The dealer the file belongs to.
    dealer_id: Mapped[int | None] = mapped_column(
        ForeignKey("dealers.id", ondelete="SET NULL"), index=True
    )
    #: Room.
    room: Mapped[str] = mapped_column(String(30))
    #: Cabinet.
    cabinet: Mapped[str | None] = mapped_column(String(30))
    #: Shelf.
    shelf: Mapped[str | None] = mapped_column(String(30))
    #: Box.
    box: Mapped[str | None] = mapped_column(String(30))
    #: in_room, lent_out, destroyed.
    state: Mapped[str] = mapped_column(String(12), default="in_room", index=True)
    #: The custodian responsible for the file.
    custodian_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: Last regular recheck.
    last_checked_on: Mapped[date | None] = mapped_column(Date)
    #: Free notes.
    notes: Mapped[str | None] = mapped_column(Text)

    owner = relationship("Owner", foreign_keys=[owner_id])
    unit = relationship("Unit", foreign_keys=[unit_id])
    prospect = relationship("Prospect", foreign_keys=[prospect_id])
    dealer = relationship("Dealer", foreign_keys=[dealer_id])
    custodian = relationship("User", foreign_keys=[custodian_id])

    @property
    def place(self) -> str:
        return " / ".join(p for p in (self.room, self.cabinet, self.shelf, self.box) if p)

    def __str__(self) -> str:
        return f"{self.code} {self.title}"
