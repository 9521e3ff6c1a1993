"""Recording staff agreements and training (the admin's staff pages, views/admin/staff.py).

Every change is the admin's, written in the caller's transaction (the view commits) with an
access-log event. Dates are office dates and may not lie in the future. The gate reading
these records: services/admin/staff_clearance.py.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.clock import office_today
from models.admin.people import User
from models.admin.staff import (
    SCAN_MAX_BYTES,
    StaffAgreement,
    StaffAgreementVersion,
    TrainingCourse,
    TrainingRecord,
)
from services.privacy import audit

#: The record types of the access log (views/shared/approvals.py labels them).
AGREEMENT_RECORD = "staff_agreement"
VERSION_RECORD = "agreement_version"
COURSE_RECORD = "training_course"
TRAINING_RECORD = "training_record"
#: Accounts one training session may record at once.
SESSION_MAX_ACCOUNTS = 200
#: Scans accepted, known by their first bytes (never by the name or the type the browser sent).
SCAN_SIGNATURES = {
    b"%PDF-": "application/pdf",
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
}


class StaffError(ValueError):
    """The record is refused; the message is for the user."""


def _admin_only(user: User) -> None:
    if not user.has_role("admin"):
        raise StaffError(_("Only an admin records agreements and training."))


def _not_future(day: date | None) -> date:
    if day is None:
        raise StaffError(_("Enter a date."))
    if day > office_today():
        raise StaffError(_("The date cannot be in the future."))
    return day


def add_version(
    session: Session,
    user: User,
    actor: audit.Actor,
    code: str,
    title: str,
    effective_from: date,
    make_current: bool,
) -> StaffAgreementVersion:
    _admin_only(user)
    code, title = (code or "").strip(), (title or "").strip()
    if not code or not title:
        raise StaffError(_("Enter the version and the title."))
    if session.scalar(select(StaffAgreementVersion.id).where(StaffAgreementVersion.code == code)):
        raise StaffError(_("This version is already on the list."))
    if effective_from is None:
        raise StaffError(_("Enter a date."))
    version = StaffAgreementVersion(code=code, title=title, effective_from=effective_from)
    session.add(version)
    session.flush()
    if make_current:
        _set_current(session, version)
    audit.record(session, actor, "create", record_type=VERSION_RECORD, record_id=version.id)
    return version


def set_current(session: Session, user: User, actor: audit.Actor, version_id: int) -> None:
    """Make one version the current one: every account must have signed it."""
    _admin_only(user)
    version = session.get(StaffAgreementVersion, version_id)
    if version is None:
        raise StaffError(_("There is no such version."))
    _set_current(session, version)
    audit.record(session, actor, "update", record_type=VERSION_RECORD, record_id=version.id)


def _set_current(session: Session, version: StaffAgreementVersion) -> None:
    session.execute(
        update(StaffAgreementVersion)
        .where(StaffAgreementVersion.id != version.id)
        .values(current=False)
        .execution_options(synchronize_session="fetch")
    )
    version.current = True
    session.flush()


def add_course(session: Session, user: User, actor: audit.Actor, name: str) -> TrainingCourse:
    _admin_only(user)
    name = (name or "").strip()
    if not name:
        raise StaffError(_("Enter the course's name."))
    if session.scalar(select(TrainingCourse.id).where(TrainingCourse.name == name)):
        raise StaffError(_("This course is already on the list."))
    course = TrainingCourse(name=name, active=True)
    session.add(course)
    session.flush()
    audit.record(session, actor, "create", record_type=COURSE_RECORD, record_id=course.id)
    return course


def set_course_active(
    session: Session, user: User, actor: audit.Actor, course_id: int, active: bool
) -> None:
    _admin_only(user)
    course = session.get(TrainingCourse, course_id)
    if course is None:
        raise StaffError(_("There is no such course."))
    course.active = active
    session.flush()
    audit.record(session, actor, "update", record_type=COURSE_RECORD, record_id=course.id)


def record_agreement(
    session: Session,
    user: User,
    actor: audit.Actor,
    account_id: int,
    version_id: int | None,
    signed_on: date | None,
    witness_id: int | None,
    scan: bytes | None = None,
    scan_name: str | None = None,
) -> StaffAgreement:
    """One account's signature of one version, with its witness and an optional scan."""
    _admin_only(user)
    account = session.get(User, account_id)
    if account is None:
        raise StaffError(_("There is no such account."))
    version = session.get(StaffAgreementVersion, version_id) if version_id else None
    if version is None:
        raise StaffError(_("Choose the version signed."))
    _not_future(signed_on)
    witness = session.get(User, witness_id) if witness_id else None
    if witness is None:
        raise StaffError(_("Choose the witness."))
    if witness.id == account.id:
        raise StaffError(_("The witness must be another person."))
    agreement = StaffAgreement(
        user_id=account.id, version_id=version.id, signed_on=signed_on, witness_id=witness.id
    )
    if scan:
        if len(scan) > SCAN_MAX_BYTES:
            raise StaffError(
                _("The scan is too large: at most %(mb)d MB.", mb=SCAN_MAX_BYTES // (1024 * 1024))
            )
        scan_type = next((t for sig, t in SCAN_SIGNATURES.items() if scan.startswith(sig)), None)
        if scan_type is None:
            raise StaffError(_("The scan must be a PDF, JPEG or PNG file."))
        agreement.scan = base64.b64encode(scan).decode("ascii")
        agreement.scan_name = (scan_name or "scan")[-200:]
        agreement.scan_type = scan_type
    session.add(agreement)
    session.flush()
    audit.record(session, actor, "create", record_type=AGREEMENT_RECORD, record_id=agreement.id)
    return agreement


def scan_of(agreement: StaffAgreement) -> bytes | None:
    return base64.b64decode(agreement.scan) if agreement.scan else None


def record_training(
    session: Session,
    user: User,
    actor: audit.Actor,
    account_ids: Iterable[int],
    course_id: int | None,
    taken_on: date | None,
    trainer: str,
    passed: bool,
) -> list[TrainingRecord]:
    """One training session for one or many accounts at once: one record each."""
    _admin_only(user)
    ids = list(dict.fromkeys(int(i) for i in account_ids))
    if not ids:
        raise StaffError(_("Choose at least one account."))
    if len(ids) > SESSION_MAX_ACCOUNTS:
        raise StaffError(_("At most %(n)d accounts at once.", n=SESSION_MAX_ACCOUNTS))
    course = session.get(TrainingCourse, course_id) if course_id else None
    if course is None or not course.active:
        raise StaffError(_("Choose the course."))
    _not_future(taken_on)
    trainer = (trainer or "").strip()
    if not trainer:
        raise StaffError(_("Enter the trainer."))
    if len(trainer) > 100:
        raise StaffError(_("At most %(max)d characters.", max=100))
    found = set(session.scalars(select(User.id).where(User.id.in_(ids))))
    if found != set(ids):
        raise StaffError(_("There is no such account."))
    records = [
        TrainingRecord(
            user_id=i, course_id=course.id, taken_on=taken_on, trainer=trainer, passed=passed
        )
        for i in ids
    ]
    session.add_all(records)
    session.flush()
    audit.record(
        session, actor, "create", record_type=TRAINING_RECORD, record_ids=[r.id for r in records]
    )
    return records


def record_starting_clearance(
    session: Session, account: User, on: date, trainer: str = "系统管理员"
) -> None:
    """Sign the current agreement and pass a training on ``on`` for ``account`` (the demo
    office and test accounts start cleared); makes a first version and course if none."""
    version = session.scalars(
        select(StaffAgreementVersion).where(StaffAgreementVersion.current.is_(True))
    ).first()
    if version is None:
        version = StaffAgreementVersion(
            code="2026 版", title="员工保密协议", effective_from=on, current=True
        )
        session.add(version)
    course = session.scalars(select(TrainingCourse).order_by(TrainingCourse.id)).first()
    if course is None:
        course = TrainingCourse(name="客户信息保护培训", active=True)
        session.add(course)
    session.flush()
    session.add(StaffAgreement(user_id=account.id, version_id=version.id, signed_on=on))
    session.add(
        TrainingRecord(
            user_id=account.id, course_id=course.id, taken_on=on, trainer=trainer, passed=True
        )
    )
    session.flush()
