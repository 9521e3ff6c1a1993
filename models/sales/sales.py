"""Sales-office records around the welcome cards: the weekly B/C snapshots, the evening
day reports and identity checks."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, OfficeOwnedMixin, intpk, utcnow

#: How an identity was verified: ID shown at an appointment, phone call-back, seen on site.
IDENTITY_METHODS = ("id_shown", "phone_callback", "on_site")


class WeeklySnapshot(OfficeOwnedMixin, Base):
    """The B and C count of one office's week (as of its Saturday), per consultant or in
    total (the office's pool cards count in its total only).

    Rows are written once per office and week and never follow later grade changes."""

    __tablename__ = "weekly_snapshots"
    __office_kind__ = "sales"
    __table_args__ = (
        UniqueConstraint("office_id", "week_ending", "consultant_id"),
        # NULLs are distinct in a unique constraint, so the total row needs its own index.
        Index(
            "uq_weekly_snapshots_office_id_week_ending_total",
            "office_id",
            "week_ending",
            unique=True,
            postgresql_where=sql_text("consultant_id IS NULL"),
            sqlite_where=sql_text("consultant_id IS NULL"),
        ),
        CheckConstraint("b_count >= 0 AND c_count >= 0", name="counts"),
    )

    id: Mapped[intpk]
    #: The Saturday the week ends on.
    week_ending: Mapped[date] = mapped_column(Date, index=True)
    #: The consultant counted; NULL for the office total.
    consultant_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    #: Number of B-grade customers (scouts excluded).
    b_count: Mapped[int] = mapped_column(Integer)
    #: Number of C-grade customers (scouts excluded).
    c_count: Mapped[int] = mapped_column(Integer)
    #: When the snapshot was taken (UTC).
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Who took it; NULL when the scheduler's CLI command did.
    taken_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    consultant = relationship("User", foreign_keys=[consultant_id])
    taken_by = relationship("User", foreign_keys=[taken_by_id])


class DayReport(Base):
    """The number of receptions a consultant reported at the evening meeting of one day."""

    __tablename__ = "day_reports"
    __table_args__ = (
        UniqueConstraint("consultant_id", "day"),
        CheckConstraint("reported_count >= 0", name="reported_count"),
    )

    id: Mapped[intpk]
    #: The consultant who reported.
    consultant_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: The day reported on.
    day: Mapped[date] = mapped_column(Date, index=True)
    #: Receptions the consultant reported.
    reported_count: Mapped[int] = mapped_column(Integer)
    #: The supervisor who recorded the figure.
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: When it was last recorded (UTC).
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    consultant = relationship("User", foreign_keys=[consultant_id])
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])


class IdentityCheck(OfficeOwnedMixin, Base):
    """A verification of a prospect's identity, recorded on the card with who and when."""

    __office_parents__ = ("prospect",)
    __office_kind__ = "sales"

    __tablename__ = "identity_checks"
    __table_args__ = (
        CheckConstraint("method IN ('id_shown','phone_callback','on_site')", name="method"),
    )

    id: Mapped[intpk]
    prospect_id: Mapped[int] = mapped_column(
        ForeignKey("prospects.id", ondelete="CASCADE"), index=True
    )
    #: id_shown, phone_callback or on_site.
    method: Mapped[str] = mapped_column(String(20))
    #: Who checked.
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: When (UTC).
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Free note, e.g. which document was seen (personal data; never the ID number itself).
    note: Mapped[str | None] = mapped_column(String(200))

    prospect = relationship("Prospect")
    checked_by = relationship("User", foreign_keys=[checked_by_id])
