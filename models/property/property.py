"""Owners, units and what hangs off a unit: ownerships (history), household members,
tenants and leases, resident smart cards, vehicle IC cards, parking spaces."""

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
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import AuditedMixin, Base, OfficeOwnedMixin, VersionedMixin, intpk, ref_item_fk
from models.shared.key_checks import check_keys_per_statement
from models.types import (
    ID_NUMBER,
    PHONE,
    EncryptedString,
    blind_index_column,
    keep_blind_index,
)

PAYERS = ("owner", "tenant")
CARD_STATUSES = ("active", "returned", "deactivated")


class Owner(OfficeOwnedMixin, AuditedMixin, VersionedMixin, Base):
    """An owner (业主), current or past: the record stays when the unit is sold."""

    __tablename__ = "owners"
    # Each person's blind indexes hold the office too (migration f8e1c0de46eb): a look-up
    # asks for the number among the account's offices, and SQLite, without statistics, read
    # the office's index instead (the files' register import: 15 ms a chunk's query at
    # 100,000 owners; docs/import.md).
    __table_args__ = (
        Index(None, "mobile_bidx", "office_id"),
        Index(None, "id_number_bidx", "office_id"),
    )

    id: Mapped[intpk]
    #: Owner's name, or the company's (personal data).
    name: Mapped[str] = mapped_column(String(50), index=True)
    #: Mainland mobile (personal data: encrypted; exact search through mobile_bidx).
    mobile: Mapped[str | None] = mapped_column(EncryptedString("owners.mobile", 20))
    mobile_bidx: Mapped[str | None] = blind_index_column(index=False)
    #: Landline (personal data, encrypted).
    landline: Mapped[str | None] = mapped_column(EncryptedString("owners.landline", 30))
    #: Resident ID number, 18 characters with checksum (personal data: encrypted; exact
    #: search through id_number_bidx).
    id_number: Mapped[str | None] = mapped_column(EncryptedString("owners.id_number", 18))
    id_number_bidx: Mapped[str | None] = blind_index_column(index=False)
    #: Postal address when not living in the unit (personal data, encrypted).
    address: Mapped[str | None] = mapped_column(EncryptedString("owners.address", 200))
    #: Free notes (personal data, encrypted).
    notes: Mapped[str | None] = mapped_column(EncryptedString("owners.notes"))

    ownerships: Mapped[list[Ownership]] = relationship(back_populates="owner")

    def __str__(self) -> str:
        return self.name


class Unit(OfficeOwnedMixin, AuditedMixin, VersionedMixin, Base):
    """A unit (房屋) in a project: building, entrance, room."""

    __office_project__ = "project"

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("project_id", "building", "room"),)

    id: Mapped[intpk]
    #: Project (list ``project``).
    project_id: Mapped[int] = ref_item_fk(nullable=False)
    #: Building, e.g. "3栋".
    building: Mapped[str] = mapped_column(String(20))
    #: Room number, e.g. "2-1502".
    room: Mapped[str] = mapped_column(String(20))
    #: Floor.
    floor: Mapped[int | None] = mapped_column(Integer)
    #: Floor area, m².
    area_m2: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    #: Free notes.
    notes: Mapped[str | None] = mapped_column(Text)

    project = relationship("ReferenceItem", foreign_keys=[project_id])
    ownerships: Mapped[list[Ownership]] = relationship(
        back_populates="unit", order_by="Ownership.started_on"
    )
    household_members: Mapped[list[HouseholdMember]] = relationship(
        back_populates="unit", cascade="all, delete-orphan"
    )
    resident_cards: Mapped[list[ResidentCard]] = relationship(
        back_populates="unit", cascade="all, delete-orphan"
    )
    vehicle_cards: Mapped[list[VehicleCard]] = relationship(
        back_populates="unit", cascade="all, delete-orphan"
    )
    leases: Mapped[list[Lease]] = relationship(back_populates="unit")

    @property
    def current_owner(self) -> Owner | None:
        for ownership in self.ownerships:
            if ownership.ended_on is None:
                return ownership.owner
        return None

    def __str__(self) -> str:
        return f"{self.project} {self.building} {self.room}" if self.project else self.room


class Ownership(OfficeOwnedMixin, AuditedMixin, Base):
    """Who owned a unit from when to when; the current owner has no end date."""

    __office_parents__ = ("unit", "owner")

    __tablename__ = "ownerships"
    __table_args__ = (
        Index(
            "uq_ownerships_current_unit",
            "unit_id",
            unique=True,
            sqlite_where=text("ended_on IS NULL"),
            postgresql_where=text("ended_on IS NULL"),
        ),
    )

    id: Mapped[intpk]
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id", ondelete="RESTRICT"), index=True)
    #: First day of ownership (move-in or transfer completion).
    started_on: Mapped[date] = mapped_column(Date)
    #: Last day of ownership; NULL while current.
    ended_on: Mapped[date | None] = mapped_column(Date)

    unit: Mapped[Unit] = relationship(back_populates="ownerships")
    owner: Mapped[Owner] = relationship(back_populates="ownerships")

    def __str__(self) -> str:
        return f"{self.owner} @ {self.unit}"


class HouseholdMember(OfficeOwnedMixin, AuditedMixin, VersionedMixin, Base):
    """A member of the household living in a unit (家庭成员)."""

    __office_parents__ = ("unit",)

    __tablename__ = "household_members"
    # As the owners' (migration f8e1c0de46eb).
    __table_args__ = (
        Index(None, "id_number_bidx", "office_id"),
        Index(None, "mobile_bidx", "office_id"),
    )

    id: Mapped[intpk]
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    #: Member's name (personal data).
    name: Mapped[str] = mapped_column(String(50), index=True)
    #: Relation to the owner (list ``relation``).
    relation_id: Mapped[int | None] = ref_item_fk()
    #: Resident ID number (personal data, encrypted; exact search through id_number_bidx).
    id_number: Mapped[str | None] = mapped_column(
        EncryptedString("household_members.id_number", 18)
    )
    id_number_bidx: Mapped[str | None] = blind_index_column(index=False)
    #: Mobile (personal data, encrypted; exact search through mobile_bidx).
    mobile: Mapped[str | None] = mapped_column(EncryptedString("household_members.mobile", 20))
    mobile_bidx: Mapped[str | None] = blind_index_column(index=False)
    #: Date the member joined the household.
    joined_on: Mapped[date | None] = mapped_column(Date)
    #: Date the member left; NULL while living there.
    left_on: Mapped[date | None] = mapped_column(Date)
    #: Why the member joined or left (list ``household_change_reason``).
    change_reason_id: Mapped[int | None] = ref_item_fk()

    unit: Mapped[Unit] = relationship(back_populates="household_members")
    relation = relationship("ReferenceItem", foreign_keys=[relation_id])
    change_reason = relationship("ReferenceItem", foreign_keys=[change_reason_id])

    def __str__(self) -> str:
        return self.name


class Tenant(OfficeOwnedMixin, AuditedMixin, VersionedMixin, Base):
    """A tenant (租户) of a unit."""

    __tablename__ = "tenants"
    # As the owners' (migration f8e1c0de46eb).
    __table_args__ = (
        Index(None, "mobile_bidx", "office_id"),
        Index(None, "id_number_bidx", "office_id"),
    )

    id: Mapped[intpk]
    #: Tenant's name (personal data).
    name: Mapped[str] = mapped_column(String(50), index=True)
    #: Mobile (personal data, encrypted; exact search through mobile_bidx).
    mobile: Mapped[str | None] = mapped_column(EncryptedString("tenants.mobile", 20))
    mobile_bidx: Mapped[str | None] = blind_index_column(index=False)
    #: Resident ID number (personal data, encrypted; exact search through id_number_bidx).
    id_number: Mapped[str | None] = mapped_column(EncryptedString("tenants.id_number", 18))
    id_number_bidx: Mapped[str | None] = blind_index_column(index=False)
    #: Free notes (personal data, encrypted).
    notes: Mapped[str | None] = mapped_column(EncryptedString("tenants.notes"))

    leases: Mapped[list[Lease]] = relationship(back_populates="tenant")

    def __str__(self) -> str:
        return self.name


def _payer_column(doc: str) -> Mapped[str]:
    return mapped_column(String(10), default="tenant", doc=doc)


class Lease(OfficeOwnedMixin, AuditedMixin, VersionedMixin, Base):
    """A lease or sublet (转租) of a unit; moving out closes it and keeps it as history."""

    __office_parents__ = ("unit", "tenant")

    __tablename__ = "leases"
    __table_args__ = (
        CheckConstraint("status IN ('registering','active','ended')", name="status"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="period"),
        *(
            CheckConstraint(f"{fee}_payer IN ('owner','tenant')", name=f"{fee}_payer")
            for fee in ("management", "water", "electricity", "gas")
        ),
        Index(
            "uq_leases_active_unit",
            "unit_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[intpk]
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="RESTRICT"), index=True
    )
    #: First day of the lease.
    starts_on: Mapped[date] = mapped_column(Date)
    #: Last day agreed in the contract.
    ends_on: Mapped[date | None] = mapped_column(Date)
    #: Original lease contract seen.
    contract_seen: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Copy of the contract kept.
    contract_copy_kept: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Who pays the management fee: owner or tenant.
    management_payer: Mapped[str] = _payer_column("management fee payer")
    #: Who pays water.
    water_payer: Mapped[str] = _payer_column("water payer")
    #: Who pays electricity.
    electricity_payer: Mapped[str] = _payer_column("electricity payer")
    #: Who pays gas.
    gas_payer: Mapped[str] = _payer_column("gas payer")
    #: Tenant filled in the move-in form.
    move_in_form_done: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Tenant paid the fees due at move-in.
    fees_paid: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Day both parties (the letting owner and the tenant) came to the office.
    both_parties_came_on: Mapped[date | None] = mapped_column(Date)
    #: The staff account that saw the original contract.
    original_seen_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    #: registering (intake not complete yet), active, or ended; set by services/property/leases.py.
    status: Mapped[str] = mapped_column(String(12), default="registering")
    #: Move-out date, set when the lease ends.
    moved_out_on: Mapped[date | None] = mapped_column(Date)

    unit: Mapped[Unit] = relationship(back_populates="leases")
    tenant: Mapped[Tenant] = relationship(back_populates="leases")
    original_seen_by = relationship("User", foreign_keys=[original_seen_by_id])

    def __str__(self) -> str:
        return f"{self.unit} / {self.tenant}"


class ResidentCard(OfficeOwnedMixin, AuditedMixin, Base):
    """A resident smart card (住户智能卡) issued for a unit."""

    __office_parents__ = ("unit",)

    __tablename__ = "resident_cards"
    __table_args__ = (
        CheckConstraint("status IN ('active','returned','deactivated')", name="status"),
    )

    id: Mapped[intpk]
    #: Number printed on the card.
    card_no: Mapped[str] = mapped_column(String(30), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    #: Holder's name (personal data).
    holder_name: Mapped[str] = mapped_column(String(50))
    #: The tenant holding the card, when issued to a tenant.
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="SET NULL"))
    #: Issue date.
    issued_on: Mapped[date] = mapped_column(Date)
    #: Date the card came back.
    returned_on: Mapped[date | None] = mapped_column(Date)
    #: active, returned, deactivated.
    status: Mapped[str] = mapped_column(String(12), default="active")

    unit: Mapped[Unit] = relationship(back_populates="resident_cards")
    tenant = relationship("Tenant", foreign_keys=[tenant_id])

    def __str__(self) -> str:
        return self.card_no


class VehicleCard(OfficeOwnedMixin, AuditedMixin, Base):
    """A vehicle access IC card (车辆出入IC卡) issued for a unit."""

    __office_parents__ = ("unit",)

    __tablename__ = "vehicle_cards"
    __table_args__ = (
        CheckConstraint("status IN ('active','returned','deactivated')", name="status"),
    )

    id: Mapped[intpk]
    #: Number printed on the card.
    card_no: Mapped[str] = mapped_column(String(30), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    #: Licence plate, e.g. 粤B12345 (personal data).
    plate_no: Mapped[str] = mapped_column(String(12), index=True)
    #: Holder's name (personal data).
    holder_name: Mapped[str] = mapped_column(String(50))
    #: Issue date.
    issued_on: Mapped[date] = mapped_column(Date)
    #: Date the card came back.
    returned_on: Mapped[date | None] = mapped_column(Date)
    #: active, returned, deactivated.
    status: Mapped[str] = mapped_column(String(12), default="active")

    unit: Mapped[Unit] = relationship(back_populates="vehicle_cards")

    def __str__(self) -> str:
        return f"{self.card_no} {self.plate_no}"


class ParkingSpace(OfficeOwnedMixin, AuditedMixin, VersionedMixin, Base):
    """A parking space, bought or rented by the owner of a unit, or free."""

    __office_parents__ = ("unit", "owner")

    __tablename__ = "parking_spaces"
    __table_args__ = (CheckConstraint("tenure IN ('free','bought','rented')", name="tenure"),)

    id: Mapped[intpk]
    #: Code painted on the space, e.g. B1-023.
    code: Mapped[str] = mapped_column(String(20), unique=True)
    #: free, bought or rented.
    tenure: Mapped[str] = mapped_column(String(10), default="free")
    #: The unit the space belongs to while bought or rented.
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("units.id", ondelete="SET NULL"), index=True
    )
    #: The owner who bought or rents it.
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("owners.id", ondelete="SET NULL"), index=True
    )
    #: Parking fees paid up to this date.
    fees_paid_until: Mapped[date | None] = mapped_column(Date)

    unit = relationship("Unit", foreign_keys=[unit_id])
    owner = relationship("Owner", foreign_keys=[owner_id])

    def __str__(self) -> str:
        return self.code


keep_blind_index(Owner.mobile, Owner.mobile_bidx, PHONE)
keep_blind_index(Owner.id_number, Owner.id_number_bidx, ID_NUMBER)
keep_blind_index(HouseholdMember.mobile, HouseholdMember.mobile_bidx, PHONE)
keep_blind_index(HouseholdMember.id_number, HouseholdMember.id_number_bidx, ID_NUMBER)
keep_blind_index(Tenant.mobile, Tenant.mobile_bidx, PHONE)
keep_blind_index(Tenant.id_number, Tenant.id_number_bidx, ID_NUMBER)
# A lease list writes 100,000 leases and 75,000 tenants at a time: PostgreSQL checks their
# keys once a statement, not once a row and key (models/shared/key_checks.py).
check_keys_per_statement(
    Lease.__table__, "unit_id", "tenant_id", "office_id", "created_by_id", "original_seen_by_id"
)
check_keys_per_statement(Tenant.__table__, "office_id", "created_by_id")
