"""Incidents with customer data (a leak, a lost file, a system fault) and the lockdown.

An ``Incident`` is opened by the admin or a supervisor; the PIPL art. 57 items (data
categories, cause, measures taken, what customers can do, a contact) must be filled before
its notice is issued; the 4-hour report clock runs from ``opened_at`` until ``reported_at``.
``IncidentCustomer`` is one affected customer saved with the incident (kind + id, how found)
and the sending of the notice to that customer (when, how, by whom).

``Lockdown`` is one period of lockdown: open (``lifted_at`` empty) while the panel is locked;
lifting it fills the lifted fields and needs a note. Rules: services/admin/lockdown.py and
services/admin/incidents.py.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (Index(None, "opened_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    #: When the incident was found (UTC), as the person opening it says.
    found_at: Mapped[datetime]
    #: When it was opened in the panel (UTC): the 4-hour report clock starts here.
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    what_happened: Mapped[str] = mapped_column(Text, default="")
    #: Art. 57 (1): the kinds of personal data concerned.
    data_categories: Mapped[str] = mapped_column(Text, default="")
    #: Art. 57 (1): the cause and the possible harm.
    cause: Mapped[str] = mapped_column(Text, default="")
    #: Art. 57 (2): what the office has done.
    measures: Mapped[str] = mapped_column(Text, default="")
    #: Art. 57 (2): what the customers can do to reduce the harm.
    customer_actions: Mapped[str] = mapped_column(Text, default="")
    #: Art. 57 (3): whom the customers can contact.
    contact: Mapped[str] = mapped_column(String(200), default="")
    #: open, notice_issued, closed.
    status: Mapped[str] = mapped_column(String(20), default="open")
    #: When it was reported to the authority (stops the 4-hour clock).
    reported_at: Mapped[datetime | None]
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    notice_issued_at: Mapped[datetime | None]
    notice_issued_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    closed_at: Mapped[datetime | None]

    opened_by = relationship("User", foreign_keys=[opened_by_id])
    reported_by = relationship("User", foreign_keys=[reported_by_id])
    notice_issued_by = relationship("User", foreign_keys=[notice_issued_by_id])
    customers = relationship(
        "IncidentCustomer",
        back_populates="incident",
        cascade="all, delete-orphan",
        order_by="IncidentCustomer.id",
    )

    def __str__(self) -> str:
        return self.title


class IncidentCustomer(Base):
    __tablename__ = "incident_customers"
    __table_args__ = (UniqueConstraint("incident_id", "customer_kind", "customer_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    #: prospect, owner, tenant, household_member (services/admin/incidents.py CUSTOMER_KINDS).
    customer_kind: Mapped[str] = mapped_column(String(40))
    #: The customer's record id (no foreign key: the kinds live in several tables).
    customer_id: Mapped[int] = mapped_column(Integer)
    #: How the customer was found (the query, in words; no personal data).
    found_by: Mapped[str] = mapped_column(String(300), default="")
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: The sending of the notice: when, how (letter, sms, phone, email, in_person), by whom.
    sent_at: Mapped[datetime | None]
    sent_how: Mapped[str | None] = mapped_column(String(20))
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    incident = relationship("Incident", back_populates="customers")
    sent_by = relationship("User", foreign_keys=[sent_by_id])


class Lockdown(Base):
    __tablename__ = "lockdowns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    start_note: Mapped[str] = mapped_column(Text, default="")
    #: What other accounts may do meanwhile: refuse (no sign-in) or read_only.
    non_admin_mode: Mapped[str] = mapped_column(String(20), default="read_only")
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"))
    #: Empty while the lockdown holds.
    lifted_at: Mapped[datetime | None]
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    lift_note: Mapped[str | None] = mapped_column(Text)

    started_by = relationship("User", foreign_keys=[started_by_id])
    lifted_by = relationship("User", foreign_keys=[lifted_by_id])
