"""Known-answer values that let the app tell, at start-up, whether its keys fit the data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class EncryptionKeyCheck(Base):
    """One row per data key (``data:k1``) and one for the blind-index key (``blind``).

    A data row holds a fixed text sealed with that key; a blind row holds the HMAC of a
    fixed text. Neither reveals a key, and neither holds personal data.
    """

    __tablename__ = "encryption_key_checks"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    #: When this key was first used with the database (UTC).
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
