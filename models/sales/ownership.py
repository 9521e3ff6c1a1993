"""Customer ownership at a sales office (客户归属): who owns a card, the collisions a supervisor
rules on (撞单), the office's public pool (公共客户池) and handovers (客户交接).

The owner of a card is ``Prospect.consultant_id``; a card without one is in its office's
public pool. ``ProspectShare`` adds co-owners (a collision ruled "share"). Every change of
ownership is an ``OwnershipEvent`` shown on the card's history. The rules live in
services/sales/ownership.py.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, bigintpk, intpk, utcnow
from models.types import PHONE, EncryptedString, blind_index_column, keep_blind_index

#: received (first reception), released (to the pool after the protection period), claimed
#: (from the pool), reassigned / shared / kept (a collision's ruling), handed_over.
EVENT_KINDS = ("received", "released", "claimed", "reassigned", "shared", "kept", "handed_over")
#: keep the owner, reassign to the claimant, share between both.
RULINGS = ("keep", "reassign", "share")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class ProspectShare(Base):
    """A second owner of a card (a collision ruled "share"): sees and works it like the owner."""

    __tablename__ = "prospect_shares"

    prospect_id: Mapped[int] = mapped_column(
        ForeignKey("prospects.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship("User", foreign_keys=[user_id])


class OwnershipEvent(Base):
    """One change of who owns a card; append-only, shown on the card's history."""

    __tablename__ = "ownership_events"
    __table_args__ = (
        CheckConstraint(_in("kind", EVENT_KINDS), name="kind"),
        Index(None, "prospect_id", "at"),
        # The daily claim limit counts one account's claims of a day.
        Index(None, "by_user_id", "kind", "at"),
    )

    id: Mapped[bigintpk]
    prospect_id: Mapped[int] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"))
    office_id: Mapped[int] = mapped_column(
        ForeignKey("offices.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    #: The owner before (None: the card was in the pool or new).
    from_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: The owner after (None: released to the pool).
    to_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: Who did it (None: the daily job).
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: When (UTC).
    at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The supervisor's note of a ruling or handover; the job's reason for a release.
    note: Mapped[str | None] = mapped_column(Text)

    from_user = relationship("User", foreign_keys=[from_user_id])
    to_user = relationship("User", foreign_keys=[to_user_id])
    by_user = relationship("User", foreign_keys=[by_user_id])


class Collision(Base):
    """A consultant registered a customer whose phone another consultant's card holds (撞单):
    no second card is made; the supervisor of the office rules."""

    __tablename__ = "collisions"
    __table_args__ = (
        CheckConstraint("status IN ('pending','ruled')", name="status"),
        CheckConstraint("ruling IS NULL OR " + _in("ruling", RULINGS), name="ruling"),
        Index(None, "office_id", "status"),
    )

    id: Mapped[intpk]
    office_id: Mapped[int] = mapped_column(
        ForeignKey("offices.id", ondelete="RESTRICT"), index=True
    )
    #: The existing card.
    prospect_id: Mapped[int] = mapped_column(
        ForeignKey("prospects.id", ondelete="CASCADE"), index=True
    )
    #: Its owner when the collision was filed.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: The consultant who registered the customer again.
    claimant_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    filed_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: What the claimant registered (personal data, encrypted): name, phone, reception.
    name: Mapped[str] = mapped_column(EncryptedString("collisions.name"))
    mobile: Mapped[str | None] = mapped_column(EncryptedString("collisions.mobile", 20))
    mobile_bidx: Mapped[str | None] = blind_index_column()
    visited_on: Mapped[date] = mapped_column(Date)
    #: What the claimant learned at the reception.
    summary: Mapped[str] = mapped_column(EncryptedString("collisions.summary"))
    status: Mapped[str] = mapped_column(String(8), default="pending")
    ruling: Mapped[str | None] = mapped_column(String(8))
    ruled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    ruled_at: Mapped[datetime | None]
    #: The supervisor's reason.
    note: Mapped[str | None] = mapped_column(Text)
    #: Kept so a ruling made on a stale page cannot overwrite another.
    version: Mapped[int] = mapped_column(Integer, default=1)

    prospect = relationship("Prospect", foreign_keys=[prospect_id])
    owner = relationship("User", foreign_keys=[owner_id])
    claimant = relationship("User", foreign_keys=[claimant_id])
    ruled_by = relationship("User", foreign_keys=[ruled_by_id])

    __mapper_args__ = {"version_id_col": version}


keep_blind_index(Collision.mobile, Collision.mobile_bidx, PHONE)
