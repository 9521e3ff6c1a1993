"""The Excel import's check and import as background jobs that never hold a request thread.

A request starts a job and returns at once; the job runs on a small pool of threads in the
app process (``JobRunner``: a ThreadPoolExecutor of IMPORT_JOBS_MAX threads, one job per
thread, a start beyond that is told to wait). Its state is a row of ``import_jobs``
(models/shared/imports.py): status, rows done, the outcome and the message for the user, so
every worker and app server shows its progress and takes its cancel; a partial unique index
keeps one running job per user across all of them.

Between chunks (services/shared/importer.py CHUNK rows) the job stops when
- its user cancelled it (``cancel``),
- the sign-in session that started it ended: signed out, expired or revoked
  (``end_session_jobs``, on flask-login's ``user_logged_out`` signal, which every end of a
  session in views/shared/security.py and the sign-out go through), the account was
  deactivated, the session is older than SESSION_ABSOLUTE_HOURS, or it has not polled the
  job for SESSION_IDLE_MINUTES (the progress page polls while it is open),
- it has run longer than IMPORT_JOB_MAX_SECONDS.

An import is ONE transaction: a job that stops, fails or is cancelled rolls it back and
nothing is written. The sealed upload is deleted when an import job ends, whatever the
outcome, and when a check ends in anything but success (a checked upload waits for its
import; leftovers still expire after IMPORT_KEEP_HOURS).

SQLite allows one writer: while an import's transaction is open, nobody else can write, so
for a job running in this process progress, polls and cancels go through memory (``_Live``)
and reach the table when the transaction ends. Reads are not blocked (WAL).
"""

from __future__ import annotations

import hashlib
import io
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from extensions import db
from models.admin.people import User
from models.base import utcnow
from models.shared.imports import (
    JOB_ACTIVE,
    JOB_CANCELLED,
    JOB_DONE,
    JOB_FAILED,
    JOB_QUEUED,
    JOB_RUNNING,
    JOB_STOPPED,
    ImportJob,
)
from services.privacy import audit
from services.shared import import_kinds, import_store, importer  # noqa: F401 (import_kinds: every kind registered)

log = logging.getLogger(__name__)

CHECK, IMPORT = "check", "import"
#: Defaults of the settings (config.py).
MAX_JOBS = 2
MAX_SECONDS = 900
#: Rejected rows the preview shows (all of them are in the download).
PREVIEW_ROWS = 200
#: A job still "running" this long after its time bound died with its process.
_STALE_GRACE = timedelta(minutes=5)


class JobRefused(Exception):
    """A job cannot start now; ``message`` tells the user to wait."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class JobStopped(Exception):
    """Raised between chunks: the job must stop (``status``) and tell the user ``message``."""

    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Starter:
    """Who started a job, from the request: the job runs without one."""

    user_id: int
    session_id: str | None
    #: Sign-in time of the session (epoch seconds, views/shared/security.py SIGNED_IN_AT).
    signed_in_at: int | None
    locale: str
    actor: audit.Actor


@dataclass
class _Live:
    """What this process knows of a job it runs, ahead of the table (SQLite: see above)."""

    phase: str
    session_key: str
    cancel: threading.Event = field(default_factory=threading.Event)
    session_ended: threading.Event = field(default_factory=threading.Event)
    rows: int = 0
    seen_at: datetime = field(default_factory=utcnow)


class JobRunner:
    """A bounded pool of job threads in this process, and the live state of its jobs."""

    def __init__(self, max_jobs: int):
        self.max_jobs = max(1, max_jobs)
        self._executor = ThreadPoolExecutor(self.max_jobs, thread_name_prefix="import-job")
        self._lock = threading.Lock()
        self._live: dict[int, _Live] = {}

    def reserve(self, job_id: int, live: _Live) -> bool:
        with self._lock:
            if len(self._live) >= self.max_jobs:
                return False
            self._live[job_id] = live
            return True

    def has_room(self) -> bool:
        with self._lock:
            return len(self._live) < self.max_jobs

    def submit(self, fn, *args) -> None:
        self._executor.submit(fn, *args)

    def release(self, job_id: int) -> None:
        with self._lock:
            self._live.pop(job_id, None)

    def live(self, job_id: int) -> _Live | None:
        with self._lock:
            return self._live.get(job_id)

    def of_session(self, session_key: str) -> list[_Live]:
        with self._lock:
            return [live for live in self._live.values() if live.session_key == session_key]

    def running(self) -> int:
        with self._lock:
            return len(self._live)


def runner(app: Flask) -> JobRunner:
    """The app's runner, made on first use (one per process: threads do not survive a fork)."""
    with _runner_lock:
        found = app.extensions.get("import_jobs")
        if found is None:
            found = JobRunner(int(app.config.get("IMPORT_JOBS_MAX") or MAX_JOBS))
            app.extensions["import_jobs"] = found
        return found


_runner_lock = threading.Lock()


def session_key(session_id: str | None) -> str:
    # The session id is half of what a cookie proves; only its hash is stored.
    return hashlib.sha256((session_id or "").encode()).hexdigest()


def _sqlite(app: Flask) -> bool:
    with app.app_context():
        return db.engine.dialect.name == "sqlite"


def _ledger(app: Flask) -> Session:
    """A session of its own for the job's row, outside the import's transaction."""
    return Session(db.engine, expire_on_commit=False)


# --- starting -------------------------------------------------------------------------------
def expire_stale(session: Session, app: Flask) -> int:
    """Mark failed the jobs whose process died (still active long past the time bound)."""
    bound = timedelta(seconds=_max_seconds(app)) + _STALE_GRACE
    result = session.execute(
        _update()
        .where(ImportJob.status.in_(JOB_ACTIVE), ImportJob.created_at < utcnow() - bound)
        .values(
            status=JOB_FAILED,
            finished_at=utcnow(),
            message=_("The job was interrupted (the server restarted); nothing was saved."),
        )
    )
    return result.rowcount or 0


def start(
    app: Flask,
    session: Session,
    *,
    starter: Starter,
    token: str,
    phase: str,
    folder: Path,
    params: dict,
) -> ImportJob:
    """Record a job and hand it to a thread; its row, committed. ``JobRefused`` when the
    user has a job running or the process runs as many as it may."""
    pool = runner(app)
    expire_stale(session, app)
    session.commit()
    if not pool.has_room():
        raise JobRefused(
            _("The panel is checking or importing as many files as it can; try again in a minute.")
        )
    job = ImportJob(
        user_id=starter.user_id,
        token=token,
        phase=phase,
        status=JOB_QUEUED,
        rows_done=0,
        rows_total=params.get("rows_total"),
        session_key=session_key(starter.session_id),
        session_signed_in_at=_naive_utc(starter.signed_in_at),
    )
    session.add(job)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise JobRefused(
            _("Your other check or import is still running: wait for it to end, or cancel it.")
        ) from None
    live = _Live(phase=phase, session_key=job.session_key)
    if not pool.reserve(job.id, live):
        _finish(app, job.id, JOB_FAILED, _("The panel is busy; try again in a minute."))
        raise JobRefused(
            _("The panel is checking or importing as many files as it can; try again in a minute.")
        )
    pool.submit(_run, app, job.id, token, phase, folder, params, starter)
    return job


def _naive_utc(epoch: int | None) -> datetime | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(int(epoch), UTC).replace(tzinfo=None)


def _update():
    # Rows are updated in SQL only: the sealed preview cannot be compared in Python either.
    return update(ImportJob).execution_options(synchronize_session=False)


def _max_seconds(app: Flask) -> float:
    return float(app.config.get("IMPORT_JOB_MAX_SECONDS") or MAX_SECONDS)


# --- running --------------------------------------------------------------------------------
class Control:
    """The job's check between chunks: progress out, stop reasons in."""

    def __init__(self, app: Flask, job_id: int, live: _Live, starter: Starter, started: datetime):
        self.app = app
        self.job_id = job_id
        self.live = live
        self.starter = starter
        self.started = started
        # SQLite: nobody else writes while the import's transaction is open.
        self.write_progress = not (_sqlite(app) and live.phase == IMPORT)

    def tick(self, rows: int) -> None:
        """Record ``rows`` done and raise ``JobStopped`` when the job must stop."""
        self.live.rows = rows
        with _ledger(self.app) as ledger:
            if self.write_progress:
                ledger.execute(_update().where(ImportJob.id == self.job_id).values(rows_done=rows))
                ledger.commit()
            row = ledger.execute(
                select(
                    ImportJob.cancel_requested, ImportJob.session_ended, ImportJob.seen_at
                ).where(ImportJob.id == self.job_id)
            ).one_or_none()
            active = ledger.scalar(select(User.active).where(User.id == self.starter.user_id))
        cancelled = self.live.cancel.is_set() or row is None or row.cancel_requested
        if cancelled:
            raise JobStopped(JOB_CANCELLED, _("Cancelled: nothing was saved."))
        config = self.app.config
        now = utcnow()
        seen = max(self.live.seen_at, row.seen_at)
        idle = timedelta(minutes=int(config.get("SESSION_IDLE_MINUTES") or 30))
        signed_in = self.starter.signed_in_at
        absolute = int(config.get("SESSION_ABSOLUTE_HOURS") or 10) * 3600
        session_over = (
            self.live.session_ended.is_set()
            or row.session_ended
            or not active
            or now - seen > idle
            or (signed_in is not None and now > _naive_utc(signed_in + absolute))
        )
        if session_over:
            raise JobStopped(
                JOB_STOPPED, _("Your session ended, so the job was stopped: nothing was saved.")
            )
        if (now - self.started).total_seconds() > _max_seconds(self.app):
            raise JobStopped(
                JOB_STOPPED,
                _(
                    "The job took longer than %(minutes)s minutes and was stopped: nothing was "
                    "saved. Split the file and try again.",
                    minutes=max(1, round(_max_seconds(self.app) / 60)),
                ),
            )


def _finish(
    app: Flask,
    job_id: int,
    status: str,
    message: str | None = None,
    outcome: dict | None = None,
    preview: list | None = None,
    rows: int | None = None,
) -> None:
    values: dict = {"status": status, "message": message, "finished_at": utcnow()}
    if outcome is not None:
        values["outcome"] = outcome
    if preview is not None:
        values["preview"] = preview
    if rows is not None:
        values["rows_done"] = rows
    with _ledger(app) as ledger:
        ledger.execute(_update().where(ImportJob.id == job_id).values(**values))
        ledger.commit()


def _run(
    app: Flask,
    job_id: int,
    token: str,
    phase: str,
    folder: Path,
    params: dict,
    starter: Starter,
) -> None:
    pool = runner(app)
    live = pool.live(job_id)
    upload = folder / f"{token}.sealed"
    keep_upload = False
    try:
        with app.app_context(), force_locale(starter.locale):
            try:
                with _ledger(app) as ledger:
                    ledger.execute(
                        _update().where(ImportJob.id == job_id).values(status=JOB_RUNNING)
                    )
                    ledger.commit()
                control = Control(app, job_id, live, starter, utcnow())
                control.tick(0)
                data = io.BytesIO(import_store.read_sealed(upload, token))
                user = db.session.get(User, starter.user_id)
                if phase == CHECK:
                    _check(app, job_id, token, folder, data, user, params, control, starter)
                    keep_upload = True
                else:
                    _import(app, job_id, data, user, params, control, starter, folder, token)
            except JobStopped as exc:
                db.session.rollback()
                import_store.discard(folder, token)
                _finish(app, job_id, exc.status, exc.message, rows=live.rows)
            except importer.ImportFileError as exc:
                db.session.rollback()
                if phase == CHECK:
                    import_store.discard(folder, token)  # refused: nothing of it stays
                _finish(app, job_id, JOB_FAILED, exc.message, rows=live.rows)
            except (import_store.SealedFileError, FileNotFoundError):
                db.session.rollback()
                import_store.discard(folder, token)
                _finish(app, job_id, JOB_FAILED, _("The uploaded file is gone; upload it again."))
            except Exception as exc:
                # The error's type and where it was raised, never its text: a database error
                # (a COPY's "line N, column c: <value>" above all) can quote a row's values.
                log.error(
                    "import job %s failed: %s at %s",
                    job_id,
                    type(exc).__name__,
                    _raised_at(exc),
                )
                db.session.rollback()
                import_store.discard(folder, token)
                _finish(app, job_id, JOB_FAILED, _("The job failed: nothing was saved."))
            finally:
                db.session.remove()
                if not keep_upload:
                    _forget_preview(app, token)
    except Exception:  # the row could not be written (database gone): the log says so
        log.exception("import job %s could not record its end", job_id)
    finally:
        if not keep_upload:
            upload.unlink(missing_ok=True)
            import_store.checked_path(folder, token).unlink(missing_ok=True)
        pool.release(job_id)


def _check(app, job_id, token, folder, data, user, params, control, starter) -> None:
    kind = params["kind"]
    report = importer.check_file(
        db.session,
        data,
        {t: int(i) for t, i in params["mapping"].items()},
        progress=control.tick,
        kind=kind,
        user=user,
        layout=params.get("layout"),  # the sheet and title row chosen in the preview
        checked=_checked(folder, token),
    )
    db.session.rollback()  # a check only reads
    rejected = importer.rejected_workbook(report, io.BytesIO())
    control.tick(report.total)  # a cancel during the last chunk still counts
    import_store.write_sealed(
        folder / f"{token}-rejected.sealed", rejected.getvalue(), token, "rejected"
    )
    preview = [{"row": r.row_number, "errors": r.errors} for r in report.rejected[:PREVIEW_ROWS]]
    outcome = {"total": report.total, "valid": report.valid, "rejected": report.rejected_count}
    _finish(
        app,
        job_id,
        JOB_DONE,
        outcome=outcome,
        preview=preview,
        rows=report.total,
    )


def _checked(folder: Path, token: str) -> importer.CheckedRows:
    """Where the check of an upload keeps the rows it found good, for its import."""
    return importer.CheckedRows(import_store.checked_path(folder, token), token)


def _import(app, job_id, data, user, params, control, starter, folder, token) -> None:
    consent = params["consent"]
    outcome = importer.import_file(
        db.session,
        user,
        data,
        {t: int(i) for t, i in params["mapping"].items()},
        skip_rejected=params["skip_rejected"],
        actor=starter.actor,
        progress=control.tick,
        kind=params["kind"],
        consent=importer.ConsentBasis(**consent),
        layout=params.get("layout"),
        checked=_checked(folder, token),
    )
    control.tick(control.live.rows)  # last look before the one commit
    db.session.commit()
    _finish(
        app,
        job_id,
        JOB_DONE,
        outcome={
            "inserted": outcome.inserted,
            "skipped": outcome.skipped,
            "visits": outcome.visits,
        },
        rows=control.live.rows,
    )


def _forget_preview(app: Flask, token: str) -> None:
    """The upload is gone: so are the rejected rows its check kept for the preview."""
    with _ledger(app) as ledger:
        ledger.execute(_update().where(ImportJob.token == token).values(preview=None))
        ledger.commit()


def prune(session: Session, keep_hours: float) -> int:
    """Delete the ended jobs older than ``keep_hours`` (IMPORT_KEEP_HOURS, with the uploads);
    the number deleted. The caller commits."""
    cutoff = utcnow() - timedelta(hours=keep_hours)
    result = session.execute(
        delete(ImportJob)
        .where(ImportJob.status.not_in(JOB_ACTIVE), ImportJob.created_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


# --- looking and cancelling -----------------------------------------------------------------
def latest(session: Session, user_id: int, token: str, phase: str | None = None):
    """The user's latest job on an upload (of a phase), or None: another user's is None."""
    query = select(ImportJob).where(ImportJob.user_id == user_id, ImportJob.token == token)
    if phase is not None:
        query = query.where(ImportJob.phase == phase)
    return session.scalar(query.order_by(ImportJob.id.desc()).limit(1))


def rows_done(app: Flask, job: ImportJob) -> int:
    live = runner(app).live(job.id)
    return max(job.rows_done, live.rows) if live else job.rows_done


def _writes_wait(app: Flask, job: ImportJob, live: _Live | None) -> bool:
    # SQLite with this process's import transaction open: memory only (see the module doc).
    return live is not None and live.phase == IMPORT and _sqlite(app)


def touch(app: Flask, session: Session, job: ImportJob) -> None:
    """The job's session polled it: it is alive."""
    live = runner(app).live(job.id)
    if live is not None:
        live.seen_at = utcnow()
    if job.status in JOB_ACTIVE and not _writes_wait(app, job, live):
        session.execute(_update().where(ImportJob.id == job.id).values(seen_at=utcnow()))
        session.commit()


def cancel(app: Flask, session: Session, job: ImportJob) -> None:
    """Ask the job to stop at its next chunk (it writes nothing and deletes its upload)."""
    live = runner(app).live(job.id)
    if live is not None:
        live.cancel.set()
    if not _writes_wait(app, job, live):
        # an ended job's rows go with its upload (the job itself clears them when it stops)
        session.execute(_update().where(ImportJob.token == job.token).values(preview=None))
        if job.status in JOB_ACTIVE:
            session.execute(_update().where(ImportJob.id == job.id).values(cancel_requested=True))
        session.commit()


def end_session_jobs(app: Flask, session_id: str | None) -> None:
    """The sign-in session ended (sign-out, expiry, revocation): its jobs stop at their next
    chunk. Called from flask-login's ``user_logged_out`` signal."""
    if not session_id:
        return
    key = session_key(session_id)
    local = runner(app).of_session(key)
    for live in local:
        live.session_ended.set()
    if local and _sqlite(app):
        return  # this process runs them; the table may be locked by an import
    try:
        with app.app_context(), _ledger(app) as ledger:
            # A read first: most sessions have no job, and a write would wait for an import's
            # transaction on SQLite.
            active = select(ImportJob.id).where(
                ImportJob.session_key == key, ImportJob.status.in_(JOB_ACTIVE)
            )
            if ledger.scalar(active.limit(1)) is None:
                return
            ledger.execute(
                _update()
                .where(ImportJob.session_key == key, ImportJob.status.in_(JOB_ACTIVE))
                .values(session_ended=True)
            )
            ledger.commit()
    except OperationalError:
        log.warning("could not mark the import jobs of an ended session", exc_info=True)


def wait(app: Flask, job_id: int, timeout: float = 10.0) -> bool:
    """Block until the job has left this process (tests, the CLI); False on timeout."""
    deadline = time.monotonic() + timeout
    pool = runner(app)
    while pool.live(job_id) is not None:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _raised_at(exc: BaseException) -> str:
    """file:line of the innermost frame of ``exc``'s traceback (no values)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return "?"
    return f"{tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}"
