"""Writing and verifying the hash-chained access log.

``record`` appends one event in the caller's transaction (so an audit row commits with the
change it describes, or not at all). It first bumps the single chain-head row: that UPDATE
takes the row lock (PostgreSQL) or the write lock (SQLite), so concurrent writers take turns
and the chain stays linear.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

from sqlalchemy import (
    Text,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.orm import Session

from models.base import utcnow
from models.privacy.audit import SQLITE_TRIGGERS, AccessChainHead, AccessEvent

#: At most this many ids are listed on one event (a list page has at most 100 rows).
MAX_IDS = 200
#: The event the retention review writes after deleting old events: its record_id is the
#: last deleted sequence number, which is how verify() knows the gap at the start is allowed.
PURGE_ACTION = "log_purge"
#: Actions that look at customer data without changing it (the compliance review counts
#: them; an edit form's "changed since you opened it" check passes over them).
READ_ACTIONS = (
    "list",
    "search",
    "details",
    "details_panels",
    "reveal",
    "export",
    "print",
    "subject_copy",
)

_key: bytes | None = None


class AuditConfigError(RuntimeError):
    pass


def configure(key: bytes) -> None:
    """Set the HMAC key of the chain (from the instance configuration)."""
    global _key
    if not key or len(key) < 16:
        raise AuditConfigError("AUDIT_HMAC_KEY must be at least 16 bytes")
    _key = key


def _require_key() -> bytes:
    if _key is None:
        raise AuditConfigError("the audit log key is not configured")
    return _key


@dataclass(frozen=True)
class Actor:
    """Who acts and from where; built by the web layer from the request."""

    user_id: int | None
    username: str | None
    role: str | None
    ip: str | None = None
    request_id: str | None = None


SYSTEM = Actor(None, "system", None)

_FIELDS = (
    "seq",
    "at",
    "user_id",
    "username",
    "role",
    "action",
    "record_type",
    "record_id",
    "record_ids",
    "ip",
    "request_id",
    "term_hmac",
    "outcome",
    "path",
)


_HEAD = AccessChainHead.__table__
_ADVANCE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(seq=_HEAD.c.seq + 1)
    .returning(_HEAD.c.seq, _HEAD.c.last_hash)
)
_INSERT_EVENT = insert(AccessEvent.__table__)
_SET_HEAD_HASH = update(_HEAD).where(_HEAD.c.id == 1).values(last_hash=bindparam("digest"))


def _digest(key: bytes, prev_hash: str, values: dict) -> str:
    parts = [prev_hash]
    for name in _FIELDS:
        value = values.get(name)
        if isinstance(value, datetime):
            value = value.isoformat(timespec="microseconds")
        parts.append("" if value is None else str(value))
    return hmac.new(key, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


def _digest_texts(session: Session) -> list:
    """SQL expressions giving each of _FIELDS as the text _digest hashes."""
    table = AccessEvent.__table__
    texts = []
    for name in _FIELDS:
        column = table.c[name]
        if name == "at":
            if session.get_bind().dialect.name == "postgresql":
                text_value = func.to_char(column, 'YYYY-MM-DD"T"HH24:MI:SS.US')
            else:
                # SQLite keeps "YYYY-MM-DD HH:MM:SS.ffffff" (always six digits).
                text_value = func.replace(type_coerce(column, Text()), " ", "T")
        else:
            text_value = cast(column, Text())
        texts.append(func.coalesce(text_value, ""))
    return texts


def term_hmac(term: str) -> str:
    """The keyed hash a search term is logged as."""
    normalised = " ".join(term.split()).lower()
    return hmac.new(_require_key(), b"term\x00" + normalised.encode(), hashlib.sha256).hexdigest()


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    record_type: str | None = None,
    record_id: int | None = None,
    record_ids: Iterable[int] = (),
    term: str | None = None,
    outcome: str = "ok",
    path: str | None = None,
) -> None:
    """Append one event to the chain, in the caller's transaction."""
    key = _require_key()
    # Core statements built once, on the session's connection: every list page writes an
    # event, and the ORM's DML path (plus RETURNING the new id) cost most of its overhead.
    connection = session.connection()
    seq, prev_hash = connection.execute(_ADVANCE_HEAD).one()
    # Only the first MAX_IDS are read: an export hands over a million ids.
    ids = [int(i) for i in islice(record_ids, MAX_IDS)]
    values = {
        "seq": seq,
        "at": utcnow(),
        "user_id": actor.user_id,
        "username": actor.username,
        "role": actor.role,
        "action": action,
        "record_type": record_type,
        "record_id": record_id,
        "record_ids": ",".join(map(str, ids)) or None,
        "ip": actor.ip,
        "request_id": actor.request_id,
        "term_hmac": term_hmac(term) if term else None,
        "outcome": outcome,
        "path": (path or "")[:200] or None,
    }
    digest = _digest(key, prev_hash, values)
    connection.execute(_INSERT_EVENT, {**values, "prev_hash": prev_hash, "hash": digest})
    connection.execute(_SET_HEAD_HASH, {"digest": digest})


@dataclass
class Verification:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None


def verify(session: Session, *, batch: int = 20_000) -> Verification:
    """Walk the chain in order; report the first altered, missing or reordered event."""
    key = _require_key()
    keyed = hmac.new(key, digestmod=hashlib.sha256)
    # The database renders every field as _digest does (NULL as "", numbers as digits, the
    # time as ISO 8601 with microseconds), and the rows come as the driver's plain tuples,
    # so the loop only joins and hashes: it runs ten million times on a big log
    # (docs/performance.md has the profile).
    # One text per event, the fields joined by the database: fetching one string instead of
    # sixteen is most of what verifying costs after the HMAC itself.
    texts = _digest_texts(session)
    # After a retention purge the chain starts at the first event kept, whose prev_hash is
    # covered by its own HMAC; a purge event in the kept chain must name exactly that gap.
    first_seq = session.scalar(select(func.min(AccessEvent.seq))) or 1
    joined = texts[0]
    for text_value in texts[1:]:
        joined = joined.concat(literal("\x1f")).concat(text_value)
    statement = select(AccessEvent.seq, joined, AccessEvent.prev_hash, AccessEvent.hash).order_by(
        AccessEvent.seq
    )
    connection = session.connection()
    sql = str(statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    driver = connection.connection.driver_connection
    postgres = connection.dialect.name == "postgresql"
    # PostgreSQL: a server-side cursor streams the log instead of loading it whole.
    cursor = driver.cursor(name="audit_verify") if postgres else driver.cursor()
    expected_seq, prev_hash, checked = first_seq, "", 0
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(batch):
            for row in rows:
                seq = row[0]
                if seq != expected_seq:
                    return Verification(False, checked, expected_seq, "missing event")
                if checked == 0 and first_seq > 1:
                    prev_hash = row[2]
                mac = keyed.copy()
                mac.update(f"{prev_hash}\x1f{row[1]}".encode())
                if row[2] != prev_hash or mac.hexdigest() != row[3]:
                    return Verification(False, checked, seq, "altered event")
                prev_hash, expected_seq, checked = row[3], seq + 1, checked + 1
    finally:
        cursor.close()
    head = session.get(AccessChainHead, 1)
    if head is None or head.seq != expected_seq - 1 or head.last_hash != prev_hash:
        return Verification(False, checked, expected_seq, "events missing at the end")
    if first_seq > 1 and not _purge_vouches_for(session, first_seq - 1):
        return Verification(False, checked, 1, "events missing at the start")
    return Verification(True, checked)


def _purge_vouches_for(session: Session, last_deleted_seq: int) -> bool:
    # Every kept event was just verified, so a matching purge event is genuine.
    return (
        session.scalar(
            select(AccessEvent.seq)
            .where(AccessEvent.action == PURGE_ACTION, AccessEvent.record_id == last_deleted_seq)
            .limit(1)
        )
        is not None
    )


def delete_through(session: Session, last_seq: int) -> int:
    """Delete events 1..``last_seq`` in the caller's transaction; the number deleted.

    The only delete the log ever allows (the retention review, after a second person
    approved). The append-only triggers are lifted for this statement alone: PostgreSQL's
    trigger does not fire under ``session_replication_role = replica`` (SET LOCAL: the
    transaction's own setting, so the database account needs the right to set it); SQLite
    drops and recreates its trigger inside the transaction, which holds the write lock, so
    no other connection ever sees the log without it, and a rollback restores it.
    The caller then writes the PURGE_ACTION event that verify() needs.
    """
    connection = session.connection()
    statement = delete(AccessEvent.__table__).where(AccessEvent.__table__.c.seq <= last_seq)
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        deleted = connection.execute(statement).rowcount
        connection.execute(text("SET LOCAL session_replication_role = origin"))
        return deleted
    # A write first: the driver opens the transaction (and SQLite takes its write lock)
    # only on DML, and the trigger must be dropped inside it.
    connection.execute(update(_HEAD).where(_HEAD.c.id == 1).values(seq=_HEAD.c.seq))
    connection.execute(text("DROP TRIGGER access_events_no_delete"))
    deleted = connection.execute(statement).rowcount
    (recreate,) = [s for s in SQLITE_TRIGGERS if "access_events_no_delete" in s]
    connection.execute(text(recreate))
    return deleted


def events_for_record(session: Session, record_type: str, record_id: int, limit: int = 50):
    """Latest events about one record, for the "who looked at this customer" panel: the
    columns it shows, as rows (not whole events with their hashes). Newest first by time,
    then by id (written in chain order): the index on (record_type, record_id, at) walks
    the record's newest events and stops at ``limit``; ordered by seq, a record looked at
    thousands of times had all its events sorted for each panel."""
    return session.execute(
        select(
            AccessEvent.at,
            AccessEvent.username,
            AccessEvent.role,
            AccessEvent.action,
            AccessEvent.ip,
        )
        .where(AccessEvent.record_type == record_type, AccessEvent.record_id == record_id)
        .order_by(AccessEvent.at.desc(), AccessEvent.id.desc())
        .limit(limit)
    ).all()
