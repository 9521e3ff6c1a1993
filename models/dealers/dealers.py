"""Dealers (经销商): signed dealers with their customer data card, the potential-dealer
directory and files, and dealer visits. Each dealer belongs to one region."""

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
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import AuditedMixin, Base, VersionedMixin, intpk, ref_item_fk
from models.types import PHONE, EncryptedString, blind_index_column, keep_blind_index

DEALER_STATUSES = ("potential", "signed")


class Dealer(AuditedMixin, VersionedMixin, Base):
    """A wholesale customer of a region, potential (unsigned) or signed."""

    __tablename__ = "dealers"
    __table_args__ = (
        CheckConstraint("status IN ('potential','signed')", name="status"),
        Index(None, "region_id", "status"),
    )

    id: Mapped[intpk]
    #: Company or shop name.
    name: Mapped[str] = mapped_column(String(100), index=True)
    #: Region (list ``region``); region managers see only their own.
    region_id: Mapped[int] = ref_item_fk(nullable=False)
    #: potential or signed.
    status: Mapped[str] = mapped_column(String(20), default="potential")
    #: Contact person (personal data).
    contact_name: Mapped[str | None] = mapped_column(String(50))
    #: Contact's mobile (personal data, encrypted; exact search through mobile_bidx).
    mobile: Mapped[str | None] = mapped_column(EncryptedString("dealers.mobile", 20))
    mobile_bidx: Mapped[str | None] = blind_index_column()
    #: Landline (personal data, encrypted).
    landline: Mapped[str | None] = mapped_column(EncryptedString("dealers.landline", 30))
    #: Business address.
    address: Mapped[str | None] = mapped_column(String(200))
    #: Contract signing date; the data card is due 2 working days later.
    contract_signed_on: Mapped[date | None] = mapped_column(Date, index=True)
    #: An important unsigned wholesale customer: listed in the potential-dealer directory.
    in_directory: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    #: The region manager responsible for the dealer.
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: Free notes.
    notes: Mapped[str | None] = mapped_column(Text)

    region = relationship("ReferenceItem", foreign_keys=[region_id])
    manager = relationship("User", foreign_keys=[manager_id])
    data_card: Mapped[DealerDataCard | None] = relationship(
        back_populates="dealer", uselist=False, cascade="all, delete-orphan"
    )
    potential_files: Mapped[list[PotentialDealerFile]] = relationship(
        back_populates="dealer", cascade="all, delete-orphan"
    )
    visits: Mapped[list[DealerVisit]] = relationship(
        back_populates="dealer", order_by="DealerVisit.visited_on", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return self.name


class DealerDataCard(AuditedMixin, VersionedMixin, Base):
    """Customer data card (客户资料卡) of a signed dealer, due 2 working days after signing."""

    __tablename__ = "dealer_data_cards"

    id: Mapped[intpk]
    dealer_id: Mapped[int] = mapped_column(
        ForeignKey("dealers.id", ondelete="CASCADE"), unique=True
    )
    #: Date the card was completed.
    filled_on: Mapped[date] = mapped_column(Date)
    #: Legal representative (personal data).
    legal_representative: Mapped[str | None] = mapped_column(String(50))
    #: Business licence number (indexed: a dealer or a visit list finds its dealers by it;
    #: migration g8e1c0de47fc).
    licence_no: Mapped[str | None] = mapped_column(String(50), index=True)
    #: Business scope.
    business_scope: Mapped[str | None] = mapped_column(Text)
    #: Annual sales volume, 10,000 yuan.
    annual_sales_wan: Mapped[Decimal | None] = mapped_column(Numeric(12, 1))
    #: Number of outlets.
    outlets: Mapped[int | None] = mapped_column(Integer)
    #: Bank and account for settlement (personal data for sole traders).
    bank_account: Mapped[str | None] = mapped_column(String(100))
    #: Free notes.
    notes: Mapped[str | None] = mapped_column(Text)

    dealer: Mapped[Dealer] = relationship(back_populates="data_card")

    def __str__(self) -> str:
        return f"{self.dealer} {self.filled_on}"


class PotentialDealerFile(AuditedMixin, VersionedMixin, Base):
    """Potential-dealer file (潜在经销商档案), written right after visiting an unsigned customer."""

    __tablename__ = "potential_dealer_files"

    id: Mapped[intpk]
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id", ondelete="CASCADE"), index=True)
    #: Date the file was written.
    written_on: Mapped[date] = mapped_column(Date)
    #: Size and business of the customer.
    business_profile: Mapped[str | None] = mapped_column(Text)
    #: Products they sell now and from whom.
    current_suppliers: Mapped[str | None] = mapped_column(Text)
    #: Interest in working with us, and obstacles.
    interest: Mapped[str | None] = mapped_column(Text)
    #: Next step.
    next_step: Mapped[str | None] = mapped_column(Text)

    dealer: Mapped[Dealer] = relationship(back_populates="potential_files")

    def __str__(self) -> str:
        return f"{self.dealer} {self.written_on}"


class DealerVisit(AuditedMixin, Base):
    """A visit to a dealer or potential dealer by the region's staff."""

    __tablename__ = "dealer_visits"
    # A dealer's visits by date (a visit list's duplicates: the dealers and dates of its rows);
    # with the dealer alone SQLite, without statistics, read every visit of a date instead
    # (migration g8e1c0de47fc).
    __table_args__ = (Index(None, "dealer_id", "visited_on"),)

    id: Mapped[intpk]
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id", ondelete="CASCADE"))
    #: Date of the visit.
    visited_on: Mapped[date] = mapped_column(Date, index=True)
    #: Who visited.
    visitor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: What was discussed and learned.
    summary: Mapped[str] = mapped_column(Text)

    dealer: Mapped[Dealer] = relationship(back_populates="visits")
    visitor = relationship("User", foreign_keys=[visitor_id])

    def __str__(self) -> str:
        return f"{self.dealer} {self.visited_on}"


keep_blind_index(Dealer.mobile, Dealer.mobile_bidx, PHONE)
