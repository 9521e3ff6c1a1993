"""Reads of the archive desk: a file's lending history, the desk's queues, the overdue
count and the lookup register (查阅登记簿) by period, each of the account's offices only.
Nothing here changes data."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from core.clock import office_midnight_utc
from models.admin.people import User
from models.archive.archive_desk import MODES_NEEDING_SUPERIOR, FileDestruction, LookupRequest
from services.admin.offices import office_clause
from services.archive.archive_desk import office_today


def file_history(session: Session, file_id: int, limit: int = 500) -> list[LookupRequest]:
    """Every lookup of one file, newest first: its whole lending history."""
    return list(
        session.scalars(
            select(LookupRequest)
            .where(LookupRequest.file_id == file_id)
            .order_by(LookupRequest.requested_at.desc(), LookupRequest.id.desc())
            .limit(limit)
        )
    )


def destruction_of(session: Session, file_id: int) -> FileDestruction | None:
    return session.scalar(select(FileDestruction).where(FileDestruction.file_id == file_id))


def queues(
    session: Session, *, user: User, today: date | None = None, limit: int = 200
) -> dict[str, list]:
    """The desk's queues of ``user``'s offices: to decide, to hand out, out now, overdue."""
    today = today or office_today()

    def requests_where(condition, order=LookupRequest.requested_at):
        # The row shows the file, the requester and the approving superior: loaded by
        # three IN queries, not one query per row (a busy desk holds hundreds).
        return list(
            session.scalars(
                select(LookupRequest)
                .where(condition, office_clause(LookupRequest.office_id, user))
                .options(
                    selectinload(LookupRequest.file),
                    selectinload(LookupRequest.requested_by),
                    selectinload(LookupRequest.superior),
                )
                .order_by(order, LookupRequest.id)
                .limit(limit)
            )
        )

    def by_status(*statuses: str, order=LookupRequest.requested_at):
        return requests_where(LookupRequest.status.in_(statuses), order=order)

    # A copy or an excerpt waits for the superior first; the custodian decides it after.
    to_decide = requests_where(
        or_(
            LookupRequest.status == "approved_by_superior",
            and_(
                LookupRequest.status == "requested",
                LookupRequest.mode.not_in(MODES_NEEDING_SUPERIOR),
            ),
        )
    )
    out_now = by_status("handed_out", order=LookupRequest.due_on)
    return {
        "to_decide": to_decide,
        "to_hand_out": by_status("approved"),
        "out_now": [r for r in out_now if not r.is_overdue(today)],
        "overdue": [r for r in out_now if r.is_overdue(today)],
    }


def overdue_count_query(*, user: User, today: date | None = None):
    """The statement of ``overdue_count``: the navbar puts it in one SELECT with the others."""
    today = today or office_today()
    return (
        select(func.count())
        .select_from(LookupRequest)
        .where(
            LookupRequest.status == "handed_out",
            LookupRequest.due_on < today,
            office_clause(LookupRequest.office_id, user),
        )
    )


def overdue_count(session: Session, *, user: User, today: date | None = None) -> int:
    return session.scalar(overdue_count_query(user=user, today=today))


def register_rows(
    session: Session,
    *,
    user: User,
    start: date | None = None,
    end: date | None = None,
    limit: int = 5000,
) -> list[LookupRequest]:
    """Every lookup of ``user``'s offices filed in [start, end] (office dates), newest first."""
    query = (
        select(LookupRequest)
        .where(office_clause(LookupRequest.office_id, user))
        .order_by(LookupRequest.requested_at.desc(), LookupRequest.id)
    )
    if start:
        query = query.where(LookupRequest.requested_at >= _utc_start(start))
    if end:
        query = query.where(LookupRequest.requested_at < _utc_start(end, plus_days=1))
    return list(session.scalars(query.limit(limit)))


def _utc_start(day: date, plus_days: int = 0) -> datetime:
    return office_midnight_utc(day + timedelta(days=plus_days))
