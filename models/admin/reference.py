"""Reference lists the admin edits: every standard entry of the welcome card, projects,
regions, channels, fee kinds, reasons... Items are ordered and can be retired (``active``
false) without breaking the records that already point to them."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import AuditedMixin, Base, intpk


class ReferenceList(AuditedMixin, Base):
    __tablename__ = "reference_lists"

    id: Mapped[intpk]
    #: Stable code the code refers to, e.g. ``source_channel``; never shown to users.
    code: Mapped[str] = mapped_column(String(50), unique=True)
    #: Chinese name shown in the admin.
    name: Mapped[str] = mapped_column(String(100))
    #: English name, shown when the interface is in English.
    name_en: Mapped[str | None] = mapped_column(String(100))

    items: Mapped[list[ReferenceItem]] = relationship(
        back_populates="reference_list", order_by="ReferenceItem.sort_order"
    )

    def __str__(self) -> str:
        return self.name


class ReferenceItem(AuditedMixin, Base):
    __tablename__ = "reference_items"
    __table_args__ = (UniqueConstraint("list_id", "code"),)

    id: Mapped[intpk]
    #: The list the item belongs to.
    list_id: Mapped[int] = mapped_column(ForeignKey("reference_lists.id", ondelete="CASCADE"))
    #: Stable code within the list (``walk_in``); rules may refer to it.
    code: Mapped[str] = mapped_column(String(50))
    #: Chinese label shown in selects and lists.
    label: Mapped[str] = mapped_column(String(100))
    #: English label, shown when the interface is in English.
    label_en: Mapped[str | None] = mapped_column(String(100))
    #: Position in selects, ascending.
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    #: Retired items are kept for old records but no longer offered in forms.
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    reference_list: Mapped[ReferenceList] = relationship(back_populates="items")

    def __str__(self) -> str:
        from flask_babel import get_locale  # local: models stay importable without an app

        try:
            english = str(get_locale()).startswith("en")
        except Exception:  # noqa: BLE001 - no request/app context
            english = False
        return (self.label_en or self.label) if english else self.label
