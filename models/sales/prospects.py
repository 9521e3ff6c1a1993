"""Prospects: the welcome card (温馨卡) and its receptions and follow-ups."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.admin.reference_checks import check_per_statement
from models.base import AuditedMixin, Base, OfficeOwnedMixin, VersionedMixin, intpk, ref_item_fk
from models.shared.key_checks import check_keys_per_statement
from models.types import PHONE, EncryptedString, blind_index_column, keep_blind_index

#: Grades of DOMAIN.md; the weekly count and the downgrade rule depend on them.
GRADES = ("A", "B", "C", "D")
#: Purchase progress: to follow up, viewed, signed.
PROGRESS = ("follow_up", "viewed", "signed")


class Prospect(OfficeOwnedMixin, AuditedMixin, VersionedMixin, Base):
    """A buyer who called, walked in or wrote online."""

    __office_project__ = "project"
    __office_kind__ = "sales"

    __tablename__ = "prospects"
    __table_args__ = (
        CheckConstraint("grade IN ('A','B','C','D')", name="grade"),
        CheckConstraint("progress IN ('follow_up','viewed','signed')", name="progress"),
        # office_id last: the filter's capped count stays index-only under the office
        # condition; (office_id, id): an office's newest cards in order on PostgreSQL
        # (migration s7e1c0de33da, docs/performance.md).
        Index(None, "consultant_id", "grade", "office_id"),
        Index(None, "office_id", "id"),
        Index(None, "created_at"),
        # What a person entered today (home page, evening count): migration b8e1c0de42a7.
        Index(None, "created_by_id", "created_at"),
        # The office's cards holding a mobile (a new card's collision check, the duplicate
        # check): with the mobile alone SQLite, without statistics, read the office's index
        # instead, 180 ms a new card at 1,000,000 cards (docs/load.md).
        Index(None, "mobile_bidx", "office_id"),  # migration c8e1c0de43b8
    )
    # Not indexed (migration e8e1c0de45da, issue 22: each index is written at every insert):
    # consultant_id alone, the leading column of (consultant_id, grade, office_id), and the
    # reference columns no list filters on (purpose, timeframe ... price_band; the analysis
    # groups the cards it reads by office or first visit, no index of these helps it).
    # Reference items are retired, never deleted, so RESTRICT never searches them.

    id: Mapped[intpk]
    #: Customer's name (personal data).
    name: Mapped[str] = mapped_column(String(50), index=True)
    #: Mainland mobile number (personal data: encrypted; exact search through mobile_bidx).
    mobile: Mapped[str | None] = mapped_column(EncryptedString("prospects.mobile", 20))
    #: Blind index of mobile (keyed HMAC, exact match only).
    mobile_bidx: Mapped[str | None] = blind_index_column(index=False)
    #: Landline with area code (personal data, encrypted).
    landline: Mapped[str | None] = mapped_column(EncryptedString("prospects.landline", 30))
    #: How the customer came: phone, walk-in, online (list ``source_channel``).
    source_id: Mapped[int | None] = ref_item_fk()
    #: Intended project (list ``project``).
    project_id: Mapped[int | None] = ref_item_fk()
    #: Purchase budget in 10,000 yuan (万元).
    budget_wan: Mapped[Decimal | None] = mapped_column(Numeric(10, 1))
    #: Purpose of purchase (list ``purpose``).
    purpose_id: Mapped[int | None] = ref_item_fk(index=False)
    #: Purchase timeframe (list ``timeframe``).
    timeframe_id: Mapped[int | None] = ref_item_fk(index=False)
    #: Nature of the customer's employer (list ``unit_nature``).
    unit_nature_id: Mapped[int | None] = ref_item_fk(index=False)
    #: Age band (list ``age_band``).
    age_band_id: Mapped[int | None] = ref_item_fk(index=False)
    #: Current housing (list ``housing``).
    housing_id: Mapped[int | None] = ref_item_fk(index=False)
    #: How the customer heard of the project (list ``awareness``).
    awareness_id: Mapped[int | None] = ref_item_fk(index=False)
    #: Intended floor area band (list ``area_band``).
    area_band_id: Mapped[int | None] = ref_item_fk(index=False)
    #: Accepted price band, yuan/m² (list ``price_band``).
    price_band_id: Mapped[int | None] = ref_item_fk(index=False)
    #: Household monthly income band (list ``income_band``), personal data.
    income_band_id: Mapped[int | None] = ref_item_fk()
    #: Individual or company (list ``customer_type``).
    customer_type_id: Mapped[int | None] = ref_item_fk()
    #: First home, upgrade, investment (list ``need``).
    need_id: Mapped[int | None] = ref_item_fk()
    #: Intended district: downtown, suburb, new district (list ``district``).
    district_id: Mapped[int | None] = ref_item_fk()
    #: A/B/C/D; NULL until the consultant grades the card.
    grade: Mapped[str | None] = mapped_column(String(1), index=True)
    #: follow_up, viewed, signed.
    progress: Mapped[str] = mapped_column(String(20), default="follow_up", index=True)
    #: A competitor's scout (踩盘), registered with the supervisor's agreement; not counted.
    is_scout: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The consultant (置业顾问) who owns the card.
    consultant_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: Date of the first reception.
    first_visit_on: Mapped[date | None] = mapped_column(Date, index=True)
    #: Date of the latest reception or follow-up, kept for the "not reached" list.
    last_contact_on: Mapped[date | None] = mapped_column(Date, index=True)
    #: Free notes from the inquiry form (personal data, encrypted).
    notes: Mapped[str | None] = mapped_column(EncryptedString("prospects.notes"))

    source = relationship("ReferenceItem", foreign_keys=[source_id])
    project = relationship("ReferenceItem", foreign_keys=[project_id])
    purpose = relationship("ReferenceItem", foreign_keys=[purpose_id])
    timeframe = relationship("ReferenceItem", foreign_keys=[timeframe_id])
    unit_nature = relationship("ReferenceItem", foreign_keys=[unit_nature_id])
    age_band = relationship("ReferenceItem", foreign_keys=[age_band_id])
    housing = relationship("ReferenceItem", foreign_keys=[housing_id])
    awareness = relationship("ReferenceItem", foreign_keys=[awareness_id])
    area_band = relationship("ReferenceItem", foreign_keys=[area_band_id])
    price_band = relationship("ReferenceItem", foreign_keys=[price_band_id])
    income_band = relationship("ReferenceItem", foreign_keys=[income_band_id])
    customer_type = relationship("ReferenceItem", foreign_keys=[customer_type_id])
    need = relationship("ReferenceItem", foreign_keys=[need_id])
    district = relationship("ReferenceItem", foreign_keys=[district_id])
    consultant = relationship("User", foreign_keys=[consultant_id])
    visits: Mapped[list[Visit]] = relationship(
        back_populates="prospect",
        order_by="Visit.seq",
        cascade="all, delete-orphan",
    )

    def __str__(self) -> str:
        return self.name


class Visit(OfficeOwnedMixin, AuditedMixin, Base):
    """A reception or follow-up: first visit, second, third... with what was learned."""

    __office_parents__ = ("prospect",)
    __office_kind__ = "sales"

    __tablename__ = "prospect_visits"
    __table_args__ = (
        UniqueConstraint("prospect_id", "seq"),
        Index(None, "next_appointment_on"),
        # The day's receptions per consultant (services/sales/sales_records.py, home_stats.py).
        Index(None, "consultant_id", "visited_on"),
        Index(None, "created_by_id", "created_at"),
    )

    id: Mapped[intpk]
    prospect_id: Mapped[int] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"))
    #: 1 for the first visit, 2 for the second... numbered per prospect.
    seq: Mapped[int] = mapped_column(Integer)
    #: Date of the reception or call.
    visited_on: Mapped[date] = mapped_column(Date, index=True)
    #: Visit, phone, online, home visit (list ``contact_channel``).
    channel_id: Mapped[int | None] = ref_item_fk(index=False)  # read with its visit only
    #: The consultant who received the customer (services/sales/consultants.py says who may be
    #: named and who is by default); the day's count per consultant counts these.
    consultant_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: What was learned; required even for a short reception (personal data).
    summary: Mapped[str] = mapped_column(EncryptedString("prospect_visits.summary"))
    # Free-text observations of DOMAIN.md, all personal data.
    #: Appearance.
    appearance: Mapped[str | None] = mapped_column(EncryptedString("prospect_visits.appearance"))
    #: First read of character.
    character: Mapped[str | None] = mapped_column(EncryptedString("prospect_visits.character"))
    #: Job and finances.
    job_finances: Mapped[str | None] = mapped_column(
        EncryptedString("prospect_visits.job_finances")
    )
    #: Current housing and property owned.
    housing_owned: Mapped[str | None] = mapped_column(
        EncryptedString("prospect_visits.housing_owned")
    )
    #: Reason for buying and needs.
    reasons_needs: Mapped[str | None] = mapped_column(
        EncryptedString("prospect_visits.reasons_needs")
    )
    #: Concerns.
    concerns: Mapped[str | None] = mapped_column(EncryptedString("prospect_visits.concerns"))
    #: What was presented.
    presented: Mapped[str | None] = mapped_column(EncryptedString("prospect_visits.presented"))
    #: Interests.
    interests: Mapped[str | None] = mapped_column(EncryptedString("prospect_visits.interests"))
    #: Open problems and how to solve them.
    open_problems: Mapped[str | None] = mapped_column(
        EncryptedString("prospect_visits.open_problems")
    )
    #: Next appointment date.
    next_appointment_on: Mapped[date | None] = mapped_column(Date)
    #: Pretext of the next appointment.
    next_appointment_pretext: Mapped[str | None] = mapped_column(
        EncryptedString("prospect_visits.next_appointment_pretext", 200)
    )
    #: What to solve next time.
    next_time_todo: Mapped[str | None] = mapped_column(
        EncryptedString("prospect_visits.next_time_todo")
    )
    #: The consultant's own reflection.
    reflection: Mapped[str | None] = mapped_column(EncryptedString("prospect_visits.reflection"))

    prospect: Mapped[Prospect] = relationship(back_populates="visits")
    channel = relationship("ReferenceItem", foreign_keys=[channel_id])
    consultant = relationship("User", foreign_keys=[consultant_id])

    def __str__(self) -> str:
        return f"#{self.seq} {self.visited_on}"


keep_blind_index(Prospect.mobile, Prospect.mobile_bidx, PHONE)
# Fourteen reference-list columns a card, one a visit: PostgreSQL checks them once a statement
# (an import writes 90,000 cards at a time), not once a row and key.
check_per_statement(Prospect.__table__)
check_per_statement(Visit.__table__)
# And the keys with an ON DELETE action that every card or visit names: the office, the
# consultant, the creator, the visit's card (models/shared/key_checks.py).
check_keys_per_statement(Prospect.__table__, "office_id", "consultant_id", "created_by_id")
check_keys_per_statement(
    Visit.__table__, "prospect_id", "office_id", "consultant_id", "created_by_id"
)
