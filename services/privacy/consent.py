"""Recording the basis a customer record is kept on, and its withdrawal (PIPL)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, exists, func, select, update
from sqlalchemy.orm import Session

from models.admin.people import User
from models.base import utcnow
from models.privacy.privacy import ConsentRecord
from services.privacy import audit

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


# --- a withdrawal takes effect ------------------------------------------------------------------
def withdrawn_condition(model, subject_type: str):
    """SQL: the record's consent was withdrawn and no basis stands any more (at least one
    consent row, every one withdrawn). Such a record leaves exports, prints and marketing
    follow-up; what the contract or the law still needs goes on."""
    withdrawn = exists().where(
        ConsentRecord.subject_type == subject_type,
        ConsentRecord.subject_id == model.id,
        ConsentRecord.withdrawn_at.is_not(None),
    )
    standing = exists().where(
        ConsentRecord.subject_type == subject_type,
        ConsentRecord.subject_id == model.id,
        ConsentRecord.withdrawn_at.is_(None),
    )
    return and_(withdrawn, ~standing)


def withdrawn_among(subject_type: str, among):
    """SELECT of the subject ids, of those ``among`` (a condition on
    ``ConsentRecord.subject_id``: a batch of an export), whose consent is withdrawn and no
    basis stands: ``withdrawn_condition``'s rule, read from the consent rows of the batch
    only. Per record, PostgreSQL hashed every consent row of the table for each batch
    (60 ms a batch at 100,000 cards)."""
    # Only customers with a withdrawn row can be withdrawn: those few come from the partial
    # index on withdrawn rows (ix_consent_records_withdrawn), and only their rows are grouped.
    with_a_withdrawal = select(ConsentRecord.subject_id).where(
        ConsentRecord.subject_type == subject_type,
        among,
        ConsentRecord.withdrawn_at.is_not(None),
    )
    return (
        select(ConsentRecord.subject_id)
        .where(
            ConsentRecord.subject_type == subject_type,
            ConsentRecord.subject_id.in_(with_a_withdrawal),
        )
        .group_by(ConsentRecord.subject_id)
        .having(func.count() == func.count(ConsentRecord.withdrawn_at))
    )


def withdrawn_ids(session: Session, model, subject_type: str, ids) -> set[int]:
    """Those of ``ids`` (records of ``model`` that exist: a page of rows) whose consent is
    withdrawn: ``withdrawn_condition``'s rule, in one statement on the consent rows alone.
    Their withdrawn rows come from the partial index of withdrawn rows
    (ix_consent_records_withdrawn, nearly always none for a page), and only those
    customers' rows are counted; the page's records themselves are not read again."""
    ids = list(ids)
    if not ids:
        return set()
    return set(session.scalars(_withdrawn_ids_statement(subject_type), {"ids": ids}))


#: subject type -> ``withdrawn_ids``'s statement, built once (the ids are an expanding
#: parameter): a list page asks it on every request.
_WITHDRAWN_IDS: dict = {}


def _withdrawn_ids_statement(subject_type: str):
    statement = _WITHDRAWN_IDS.get(subject_type)
    if statement is None:
        among = ConsentRecord.subject_id.in_(bindparam("ids", expanding=True))
        statement = _WITHDRAWN_IDS[subject_type] = withdrawn_among(subject_type, among)
    return statement


def is_withdrawn(session: Session, model, subject_type: str, subject_id: int) -> bool:
    """``withdrawn_condition``'s rule for one record (its details page, its print): at least
    one consent row, every one withdrawn, counted off the record's own consent rows."""
    rows, withdrawn = session.execute(
        select(func.count(), func.count(ConsentRecord.withdrawn_at)).where(
            ConsentRecord.subject_type == subject_type,
            ConsentRecord.subject_id == subject_id,
        )
    ).one()
    return rows > 0 and rows == withdrawn


WITHDRAWN_LABEL = _l("consent withdrawn")
WITHDRAWN_EXPLAINED = _l(
    "The customer withdrew their consent: this record is left out of exports, prints and "
    "marketing follow-up. Only what the contract or the law still needs goes on (a customer's "
    "own request, a signed contract)."
)
