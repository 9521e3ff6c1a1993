"""Recording the basis a customer record is kept on, and its withdrawal (PIPL)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.base import utcnow
from models.people import User
from models.privacy import ConsentRecord
from services import audit

BASIS_LABELS = {
    "consent": _l("Purpose explained, the customer agreed"),
    "contract": _l("A contract with the customer (purchase or lease)"),
}


class ConsentError(Exception):
    message = _l("This consent cannot be changed.")


class AlreadyWithdrawn(ConsentError):
    message = _l("This consent was already withdrawn.")


class MissingNote(ConsentError):
    message = _l("Say how the customer withdrew (a call, a letter, at the desk...).")


def record(
    session: Session,
    user: User,
    *,
    subject_type: str,
    subject_id: int,
    basis: str,
    purpose: str,
    policy_version: str,
) -> ConsentRecord:
    """The basis given when the record is made, in the same transaction as the record."""
    consent = ConsentRecord(
        subject_type=subject_type,
        subject_id=subject_id,
        basis=basis,
        purpose=purpose,
        policy_version=policy_version,
        recorded_by_id=user.id,
    )
    session.add(consent)
    session.flush()
    return consent


def for_subject(session: Session, subject_type: str, subject_id: int) -> list[ConsentRecord]:
    return list(
        session.scalars(
            select(ConsentRecord)
            .where(
                ConsentRecord.subject_type == subject_type,
                ConsentRecord.subject_id == subject_id,
            )
            .order_by(ConsentRecord.given_at)
        )
    )


def withdraw(
    session: Session, user: User, consent_id: int, note: str, *, actor: audit.Actor | None = None
) -> ConsentRecord:
    """Record the customer's withdrawal; the record itself is kept (a conditional UPDATE, so
    it is withdrawn once)."""
    note = (note or "").strip()
    if not note:
        raise MissingNote()
    done = session.execute(
        update(ConsentRecord)
        .where(ConsentRecord.id == consent_id, ConsentRecord.withdrawn_at.is_(None))
        .values(withdrawn_at=utcnow(), withdrawn_by_id=user.id, withdrawal_note=note)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        raise AlreadyWithdrawn()
    consent = session.get(ConsentRecord, consent_id, populate_existing=True)
    audit.record(
        session,
        actor or audit.Actor(user.id, user.username, user.role_code),
        "consent_withdraw",
        record_type=consent.subject_type,
        record_id=consent.subject_id,
    )
    return consent
