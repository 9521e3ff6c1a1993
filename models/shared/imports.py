"""Excel imports: the column mapping each user last chose, remembered for next time, and the
background jobs that check and import an upload."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, intpk, utcnow
from models.types import EncryptedJSON


class ImportMapping(Base):
    """{field: column title} a user mapped for an import kind (e.g. welcome cards)."""

    __tablename__ = "import_mappings"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: What is imported: "prospect".
    kind: Mapped[str] = mapped_column(String(20))
    #: {target field: column title in the file}.
    columns: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


#: Job states; a user has at most one job in the first two (a partial unique index).
JOB_QUEUED, JOB_RUNNING = "queued", "running"
JOB_DONE, JOB_FAILED, JOB_CANCELLED, JOB_STOPPED = "done", "failed", "cancelled", "stopped"
JOB_ACTIVE = (JOB_QUEUED, JOB_RUNNING)
_ACTIVE_WHERE = "status IN ('queued', 'running')"


class ImportJob(Base):
    """One check or import of an upload, run in the background (services/shared/import_jobs.py).

    Its state is here, not in a process's memory, so every worker and app server can show
    its progress and take a cancel; the runner reads the flags between chunks."""

    __tablename__ = "import_jobs"
    __table_args__ = (
        # At most one running job per user, across processes and servers.
        Index(
            "uq_import_jobs_active_user",
            "user_id",
            unique=True,
            sqlite_where=text(_ACTIVE_WHERE),
            postgresql_where=text(_ACTIVE_WHERE),
        ),
    )

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: The upload (services/shared/import_store.py) the job reads.
    token: Mapped[str] = mapped_column(String(32), index=True)
    #: "check" (the preview's row validation) or "import".
    phase: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default=JOB_QUEUED)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    #: Rows to do, when known (an import knows them from its check).
    rows_total: Mapped[int | None] = mapped_column(Integer)
    #: Why the job failed or stopped, in the user's language.
    message: Mapped[str | None] = mapped_column(Text)
    #: Counts of a finished job: total/valid/rejected (check), inserted/skipped (import).
    outcome: Mapped[dict | None] = mapped_column(JSON)
    #: The rejected rows the preview shows (row number and errors, which quote the cells).
    preview: Mapped[list | None] = mapped_column(EncryptedJSON("import_jobs.preview"))
    #: SHA-256 of the sign-in session's id: the job ends with that session.
    session_key: Mapped[str] = mapped_column(String(64), index=True)
    session_signed_in_at: Mapped[datetime | None]
    #: Last time the session polled the job (the job's sign that its session is alive).
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    session_ended: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
