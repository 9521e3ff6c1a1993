"""Accounts and roles. Accounts are personal: everything a person does is traced to them."""

from __future__ import annotations

from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, TimestampMixin, intpk, ref_item_fk


class Role(Base):
    """The roles of DOMAIN.md (and the outside auditor). Rights are declared in core/access.py by ``code``."""

    __tablename__ = "roles"

    id: Mapped[intpk]
    #: clerk, supervisor, region_manager, custodian, admin.
    code: Mapped[str] = mapped_column(String(30), unique=True)
    #: Chinese name shown to users.
    name: Mapped[str] = mapped_column(String(50))

    def __str__(self) -> str:
        from core.access import role_label

        return role_label(self.code)


class User(UserMixin, TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[intpk]
    #: Sign-in name, personal, never shared.
    username: Mapped[str] = mapped_column(String(50), unique=True)
    #: Real name shown in lists and the audit trail.
    full_name: Mapped[str] = mapped_column(String(50))
    #: argon2 hash; never the password.
    password_hash: Mapped[str] = mapped_column(String(255))
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id", ondelete="RESTRICT"), index=True)
    #: Deactivated accounts cannot sign in; kept for the audit trail.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The last office day the account may sign in (a time-boxed account, e.g. an outside
    #: auditor's); None: no end. After it sign-in is refused and a session ends.
    valid_until: Mapped[date | None]
    #: Region a region manager is responsible for (reference list ``region``).
    # use_alter: reference items record their creator, so users and items refer to each other.
    region_id: Mapped[int | None] = ref_item_fk(use_alter=True)
    #: The person who approves this account's copy requests and corrections.
    superior_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: Set at each successful sign-in.
    last_login_at: Mapped[datetime | None]
    #: The admin who created the account.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    role: Mapped[Role] = relationship(lazy="joined")
    region = relationship("ReferenceItem", foreign_keys=[region_id])
    superior: Mapped[User | None] = relationship(remote_side="User.id", foreign_keys=[superior_id])
    #: The offices whose records the account works on (models/admin/offices.py).
    offices = relationship(
        "Office", secondary="user_offices", back_populates="members", order_by="Office.id"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login asks this
        return bool(self.active)

    @property
    def role_code(self) -> str:
        return self.role.code if self.role else ""

    def has_role(self, *codes: str) -> bool:
        return self.role_code in codes

    def __str__(self) -> str:
        return f"{self.full_name} ({self.username})"
