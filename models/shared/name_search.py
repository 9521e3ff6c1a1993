"""The name-search index: tokens of people's names, for part-of-name and pinyin search."""

from __future__ import annotations

from sqlalchemy import Index, Integer, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

#: Longest token kept (and longest search term looked up).
TOKEN_LENGTH = 40


class NameToken(Base):
    """One token of one record's name: a run of its characters (王伟, 伟), its pinyin from a
    syllable on (wangwei, wei) or its initials (ww). The primary key (kind, token, record_id)
    is the index every lookup uses: an exact token, or a prefix range of latin tokens."""

    __tablename__ = "name_search_tokens"
    __table_args__ = (
        PrimaryKeyConstraint("kind", "token", "record_id"),
        # A record's own tokens, replaced when its name is saved: without it each save scanned
        # every token of the kind (0.5 s a new card at 1,000,000 cards on PostgreSQL).
        Index("ix_name_search_tokens_record", "kind", "record_id"),
        # On SQLite the primary key is the table: a rowid table kept each row twice, in the
        # table by rowid and again in the key's index, so every token written was two B-tree
        # inserts besides the record index (docs/import.md, issue 22 fourth pass).
        {"sqlite_with_rowid": False},
    )

    #: What the record is: prospect, owner, tenant.
    kind: Mapped[str] = mapped_column(String(20))
    #: Byte-order collation on PostgreSQL, so a prefix range is a plain index range scan.
    token: Mapped[str] = mapped_column(
        String(TOKEN_LENGTH).with_variant(String(TOKEN_LENGTH, collation="C"), "postgresql")
    )
    record_id: Mapped[int] = mapped_column(Integer)
