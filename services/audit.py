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

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from models.audit import AccessChainHead, AccessEvent
from models.base import utcnow

#: At most this many ids are listed on one event (a list page has at most 100 rows).
MAX_IDS = 200

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


def _digest(key: bytes, prev_hash: str, values: dict) -> str:
    parts = [prev_hash]
    for name in _FIELDS:
        value = values.get(name)
        if isinstance(value, datetime):
            value = value.isoformat(timespec="microseconds")
        parts.append("" if value is None else str(value))
    return hmac.new(key, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


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
    seq, prev_hash = session.execute(
        update(AccessChainHead)
        .where(AccessChainHead.id == 1)
        .values(seq=AccessChainHead.seq + 1)
        .returning(AccessChainHead.seq, AccessChainHead.last_hash)
    ).one()
    ids = [int(i) for i in record_ids][:MAX_IDS]
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
    session.execute(insert(AccessEvent).values(**values, prev_hash=prev_hash, hash=digest))
    session.execute(update(AccessChainHead).where(AccessChainHead.id == 1).values(last_hash=digest))


@dataclass
class Verification:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None


def verify(session: Session, *, batch: int = 20_000) -> Verification:
    """Walk the chain in order; report the first altered, missing or reordered event."""
    key = _require_key()
    columns = [getattr(AccessEvent, name) for name in _FIELDS]
    rows = session.execute(
        select(*columns, AccessEvent.prev_hash, AccessEvent.hash)
        .order_by(AccessEvent.seq)
        .execution_options(yield_per=batch)
    )
    expected_seq, prev_hash, checked = 1, "", 0
    for row in rows:
        values = dict(zip(_FIELDS, row[: len(_FIELDS)], strict=True))
        seq = values["seq"]
        if seq != expected_seq:
            return Verification(False, checked, expected_seq, "missing event")
        if row.prev_hash != prev_hash or _digest(key, prev_hash, values) != row.hash:
            return Verification(False, checked, seq, "altered event")
        prev_hash, expected_seq, checked = row.hash, seq + 1, checked + 1
    head = session.get(AccessChainHead, 1)
    if head is None or head.seq != expected_seq - 1 or head.last_hash != prev_hash:
        return Verification(False, checked, expected_seq, "events missing at the end")
    return Verification(True, checked)


def events_for_record(session: Session, record_type: str, record_id: int, limit: int = 50):
    """Latest events about one record, for the "who looked at this customer" panel."""
    return session.scalars(
        select(AccessEvent)
        .where(AccessEvent.record_type == record_type, AccessEvent.record_id == record_id)
        .order_by(AccessEvent.seq.desc())
        .limit(limit)
    ).all()
