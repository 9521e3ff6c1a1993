"""Excel imports: the column mapping each user last chose, remembered for next time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, intpk, utcnow


class ImportMapping(Base):
    """{field: column title} a user mapped for an import kind (e.g. welcome cards)."""

    __tablename__ = "import_mappings"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: What is imported: "prospect".
    kind: Mapped[str] = mapped_column(String(20))
    #: {target field: column title in the file}.
    columns: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
