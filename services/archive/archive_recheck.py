"""The regular recheck of the paper files (定期整理复核最新客户档案资料).

A file kept in the room or lent out is due for its recheck when it was never checked, or its
last check is ``interval_days`` or more before today: the admin's office setting (``interval``,
services/admin/office_settings.py; default 180, twice a year). Destroyed files are not
rechecked.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from models.admin.people import User
from models.archive.archives import ArchiveFile
from services.admin import office_settings
from services.admin.offices import office_clause
from services.privacy import audit

#: Most files listed on one page; the count says how many are due in all.
MAX_ROWS = 200


class RecheckError(Exception):
    """A refused recheck; ``message`` is shown to the custodian, nothing was changed."""

    message = _l("This file cannot be marked as rechecked.")

    def __init__(self, message=None):
        super().__init__()
        if message is not None:
            self.message = message


def interval(session: Session) -> int:
    """Days after its last check a file is due again: the admin's office setting."""
    return office_settings.value_of(session, office_settings.ARCHIVE_RECHECK_DAYS)


def _due(today: date, interval_days: int, user: User):
    """Files of ``user``'s offices due for their recheck on ``today``."""
    checked_before = today - timedelta(days=interval_days)
    return (
        office_clause(ArchiveFile.office_id, user),
        ArchiveFile.state != "destroyed",
        or_(ArchiveFile.last_checked_on.is_(None), ArchiveFile.last_checked_on <= checked_before),
    )


def due_files(session: Session, today: date, interval_days: int, user: User) -> list[ArchiveFile]:
    """Files due for their recheck, never-checked first, then the longest unchecked."""
    return list(
        session.scalars(
            select(ArchiveFile)
            .where(*_due(today, interval_days, user))
            .order_by(ArchiveFile.last_checked_on.is_not(None), ArchiveFile.last_checked_on)
            .order_by(ArchiveFile.code)
            .limit(MAX_ROWS)
        )
    )


def due_count(session: Session, today: date, interval_days: int, user: User) -> int:
    return session.scalar(
        select(func.count(ArchiveFile.id)).where(*_due(today, interval_days, user))
    )


def mark_rechecked(
    session: Session,
    user: User,
    file_id: int,
    today: date,
    interval_days: int,
    *,
    actor: audit.Actor | None = None,
) -> None:
    """Record today's recheck of a due file of ``user``'s offices (conditional, so two
    custodians record it once)."""
    done = session.execute(
        update(ArchiveFile)
        .where(ArchiveFile.id == file_id, *_due(today, interval_days, user))
        .values(last_checked_on=today, version=ArchiveFile.version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        raise RecheckError(_l("This file is not due for its recheck (checked meanwhile?)."))
    audit.record(
        session,
        actor or audit.Actor(user.id, user.username, user.role_code),
        "archive_recheck",
        record_type="archive_file",
        record_id=file_id,
    )
