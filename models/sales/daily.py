"""The supervisor's weekly spot checks (抽查) and the unusual-access alerts.

A spot check is one random sample of an office's new welcome cards of the week, compared by
hand with the paper cards; one per office and week (a unique key, so a second draw is refused
by the database).
Alert rules are thresholds the admin tunes; an alert is raised at most once per rule,
account and window (a unique key), so a scan may run any number of times.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, OfficeOwnedMixin, intpk, utcnow

SPOT_RESULTS = ("match", "mismatch")
ALERT_RULES = ("records_per_hour", "export_rows_per_day", "off_hours")


class SpotCheck(OfficeOwnedMixin, Base):
    """One office's sample of one week, drawn once by a supervisor of the office."""

    __tablename__ = "spot_checks"
    __office_kind__ = "sales"
    __table_args__ = (UniqueConstraint("office_id", "week_start"),)

    id: Mapped[intpk]
    #: The Monday (Asia/Shanghai) of the week sampled; one draw per office and week.
    week_start: Mapped[date] = mapped_column(Date)
    #: The supervisor who drew the sample.
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: When (UTC).
    drawn_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Cards drawn.
    sample_size: Mapped[int] = mapped_column(Integer)
    #: Cards of the week the sample was drawn from.
    population: Mapped[int] = mapped_column(Integer)

    drawn_by = relationship("User", foreign_keys=[drawn_by_id])
    items: Mapped[list[SpotCheckItem]] = relationship(
        back_populates="spot_check", order_by="SpotCheckItem.id", cascade="all, delete-orphan"
    )


class SpotCheckItem(Base):
    """One sampled card and the outcome of comparing it with the paper card."""

    __tablename__ = "spot_check_items"
    __table_args__ = (
        UniqueConstraint("spot_check_id", "prospect_id"),
        CheckConstraint("result IS NULL OR result IN ('match','mismatch')", name="result"),
    )

    id: Mapped[intpk]
    spot_check_id: Mapped[int] = mapped_column(
        ForeignKey("spot_checks.id", ondelete="CASCADE"), index=True
    )
    #: The welcome card drawn.
    prospect_id: Mapped[int] = mapped_column(
        ForeignKey("prospects.id", ondelete="CASCADE"), index=True
    )
    #: match or mismatch; NULL until checked.
    result: Mapped[str | None] = mapped_column(String(10))
    #: What differed (may describe the customer's data: shown only to supervisors).
    note: Mapped[str | None] = mapped_column(Text)
    #: Who compared it.
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: When (UTC).
    checked_at: Mapped[datetime | None]

    spot_check: Mapped[SpotCheck] = relationship(back_populates="items")
    prospect = relationship("Prospect")
    checked_by = relationship("User", foreign_keys=[checked_by_id])


class AlertRule(Base):
    """A threshold the admin tunes. ``threshold`` is N records an hour or M export rows a
    day; the off-hours rule uses ``day_starts``/``day_ends`` (HH:MM, Asia/Shanghai)."""

    __tablename__ = "alert_rules"
    __table_args__ = (
        CheckConstraint(
            "code IN ('records_per_hour','export_rows_per_day','off_hours')", name="code"
        ),
        CheckConstraint("threshold IS NULL OR threshold >= 1", name="threshold"),
    )

    id: Mapped[intpk]
    #: records_per_hour, export_rows_per_day or off_hours.
    code: Mapped[str] = mapped_column(String(30), unique=True)
    #: Off rules raise nothing.
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: More than this many raises an alert (count rules).
    threshold: Mapped[int | None] = mapped_column(Integer)
    #: Office hours begin (off_hours), e.g. 07:30.
    day_starts: Mapped[str | None] = mapped_column(String(5))
    #: Office hours end (off_hours), e.g. 21:00.
    day_ends: Mapped[str | None] = mapped_column(String(5))
    #: Who changed it last.
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: When (UTC).
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AccessAlert(Base):
    """An unusual access found in the log: one per rule, account and window."""

    __tablename__ = "access_alerts"
    __table_args__ = (UniqueConstraint("rule_code", "user_id", "window_start"),)

    id: Mapped[intpk]
    #: The rule that fired.
    rule_code: Mapped[str] = mapped_column(String(30))
    #: The account (as in the access log: no foreign key, the alert outlives the account).
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    #: The account's sign-in name at the time.
    username: Mapped[str | None] = mapped_column(String(50))
    #: Start of the window (UTC): the hour, the office day, or the sign-in's office day.
    window_start: Mapped[datetime]
    #: End of the window (UTC, exclusive).
    window_end: Mapped[datetime]
    #: What was counted: records opened, rows exported, or sign-ins outside hours.
    value: Mapped[int] = mapped_column(Integer)
    #: When the alert was raised (UTC).
    raised_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: The admin who acknowledged it; NULL while open.
    acknowledged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    #: When (UTC).
    acknowledged_at: Mapped[datetime | None]
    #: The admin's required note (what was found out).
    ack_note: Mapped[str | None] = mapped_column(Text)

    acknowledged_by = relationship("User", foreign_keys=[acknowledged_by_id])

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None
