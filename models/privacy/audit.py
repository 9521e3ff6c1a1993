"""The access log: one event per look at or change of customer data, sign-in and refusal.

Events are append-only (database triggers refuse UPDATE and DELETE) and hash-chained: each
event's keyed hash covers the previous event's hash, so ``flask audit verify`` finds the first
altered or missing event. The chain head row makes writers take turns, so the chain stays
linear under concurrent writers. No plaintext personal data is stored here: records are ids,
a search term is its keyed hash.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, BigInteger, Index, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, bigintpk


class AccessEvent(Base):
    __tablename__ = "access_events"
    __table_args__ = (
        Index(None, "at"),
        Index(None, "user_id", "at"),
        Index(None, "record_type", "record_id", "at"),
        Index(None, "action", "at"),
    )

    id: Mapped[bigintpk]
    #: Position in the chain, 1, 2, 3... without gaps.
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), unique=True)
    #: When (UTC).
    at: Mapped[datetime]
    #: The account (no foreign key: the log outlives everything and is never cascaded).
    user_id: Mapped[int | None] = mapped_column(Integer)
    #: The account's name at the time (a sign-in name, not customer data).
    username: Mapped[str | None] = mapped_column(String(50))
    #: The account's role at the time.
    role: Mapped[str | None] = mapped_column(String(30))
    #: list, search, details, reveal, export, create, update, delete, request, approve,
    #: reject, login, login_failed, logout, denied...
    action: Mapped[str] = mapped_column(String(20))
    #: The view key of the records (prospect, owner...), if any.
    record_type: Mapped[str | None] = mapped_column(String(40))
    #: The one record of a details/reveal/change event (indexed for "who looked at this").
    record_id: Mapped[int | None] = mapped_column(Integer)
    #: Every record id the event touched (a list page: its rows), comma-separated, capped.
    record_ids: Mapped[str | None] = mapped_column(Text)
    #: Client address.
    ip: Mapped[str | None] = mapped_column(String(45))
    #: Request id, to join with server logs.
    request_id: Mapped[str | None] = mapped_column(String(32))
    #: Keyed hash of a search term (never the term).
    term_hmac: Mapped[str | None] = mapped_column(String(64))
    #: ok, denied or failed.
    outcome: Mapped[str] = mapped_column(String(10), default="ok")
    #: Where the event happened (endpoint or URL path, no query string).
    path: Mapped[str | None] = mapped_column(String(200))
    #: Hash of the previous event ("" for the first).
    prev_hash: Mapped[str] = mapped_column(String(64))
    #: Keyed hash over this event's fields and prev_hash.
    hash: Mapped[str] = mapped_column(String(64))


class AccessChainHead(Base):
    """One row: the last sequence number and hash. Updating it first serialises writers."""

    __tablename__ = "access_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default="")


# Append-only: the same statements are used by the migration and by create_all in tests.
SQLITE_TRIGGERS = (
    "CREATE TRIGGER access_events_no_update BEFORE UPDATE ON access_events "
    "BEGIN SELECT RAISE(ABORT, 'access_events is append-only'); END",
    "CREATE TRIGGER access_events_no_delete BEFORE DELETE ON access_events "
    "BEGIN SELECT RAISE(ABORT, 'access_events is append-only'); END",
)
POSTGRES_TRIGGERS = (
    "CREATE OR REPLACE FUNCTION access_events_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'access_events is append-only'; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER access_events_no_change BEFORE UPDATE OR DELETE ON access_events "
    "FOR EACH ROW EXECUTE FUNCTION access_events_append_only()",
)

for _statement in SQLITE_TRIGGERS:
    event.listen(
        AccessEvent.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite")
    )
for _statement in POSTGRES_TRIGGERS:
    event.listen(
        AccessEvent.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql")
    )
