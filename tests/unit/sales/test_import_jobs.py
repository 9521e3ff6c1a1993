"""The import's background jobs: start, progress, cancel between chunks (nothing written), the
session's end, the time bound, and the bounds on how many run."""

from __future__ import annotations

import secrets
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update

from extensions import db
from models.admin.people import User
from models.base import utcnow
from models.privacy.audit import AccessEvent
from models.privacy.privacy import ConsentRecord
from models.sales.prospects import Prospect
from models.shared.imports import ImportJob
from services.privacy import audit
from services.shared import import_jobs, import_store, importer
from tests.factories import make_user, ref_item
from tests.importing import HEADERS, Gate, good_row, wait_for_jobs, write_xlsx

pytestmark = pytest.mark.instant()

CONSENT = {"basis": "consent", "purpose": "购房咨询", "policy_version": "2026-01"}
ROWS = 10


@pytest.fixture
def env(app, monkeypatch, tmp_path):
    """A clerk, an upload of ten cards sealed in the import folder, chunks of two rows."""
    monkeypatch.setattr(importer, "CHUNK", 2)
    with app.app_context():
        ref_item(db.session, "source_channel", "walk_in")
        user = make_user(db.session, "clerk")
        db.session.commit()
        user_id, username = user.id, user.username
    folder = import_store.upload_folder(app.config, app.instance_path)
    token = secrets.token_hex(16)
    data = write_xlsx(tmp_path / "c.xlsx", [good_row(n) for n in range(1, ROWS + 1)]).read_bytes()
    with app.app_context():
        import_store.write_sealed(folder / f"{token}.sealed", data, token)
    env = _Env(app, folder, token, user_id, username)
    yield env
    env.release()
    wait_for_jobs(app)


class _Env:
    def __init__(self, app, folder, token, user_id, username):
        self.app, self.folder, self.token = app, folder, token
        self.user_id, self.username = user_id, username
        self.session_id = secrets.token_urlsafe(24)
        self.gates: list[Gate] = []

    def release(self):
        for gate in self.gates:
            gate.go.set()

    def starter(self, **changes):
        values = {
            "user_id": self.user_id,
            "session_id": self.session_id,
            "signed_in_at": int(time.time()),
            "locale": "zh_Hans_CN",
            "actor": audit.Actor(self.user_id, self.username, "clerk"),
        }
        return import_jobs.Starter(**{**values, **changes})

    def start(self, phase=import_jobs.IMPORT, token=None, **starter):
        params = {"kind": "prospect", "mapping": importer.guess_mapping(HEADERS)}
        if phase == import_jobs.IMPORT:
            params.update(skip_rejected=False, consent=CONSENT, rows_total=ROWS)
        with self.app.test_request_context():
            job = import_jobs.start(
                self.app,
                db.session,
                starter=self.starter(**starter),
                token=token or self.token,
                phase=phase,
                folder=self.folder,
                params=params,
            )
            return job.id

    def job(self, job_id) -> ImportJob:
        with self.app.app_context():
            job = db.session.get(ImportJob, job_id)
            db.session.expunge(job)
            return job

    def count(self, model) -> int:
        with self.app.app_context():
            return db.session.scalar(select(func.count()).select_from(model))

    def gate(self, monkeypatch, at=1) -> Gate:
        gate = Gate(monkeypatch, at)
        self.gates.append(gate)
        return gate

    def upload_exists(self) -> bool:
        return (self.folder / f"{self.token}.sealed").exists()


def test_an_import_job_runs_in_the_background_and_records_its_outcome(env):
    job_id = env.start()
    wait_for_jobs(env.app)
    job = env.job(job_id)
    assert job.status == "done" and job.outcome == {"inserted": ROWS, "skipped": 0, "visits": ROWS}
    assert job.rows_done == ROWS and job.finished_at is not None
    assert env.count(Prospect) == ROWS and env.count(ConsentRecord) == ROWS
    assert not env.upload_exists()  # the import ended: its upload is gone


def test_a_check_job_keeps_the_upload_and_seals_its_preview(env):
    job_id = env.start(import_jobs.CHECK)
    wait_for_jobs(env.app)
    job = env.job(job_id)
    assert job.status == "done" and job.outcome == {"total": ROWS, "valid": ROWS, "rejected": 0}
    assert job.preview == [] and env.upload_exists()
    assert (env.folder / f"{env.token}-rejected.sealed").exists()
    with env.app.app_context():
        stored = db.session.scalar(
            text("SELECT preview FROM import_jobs WHERE id = :id"), {"id": job_id}
        )
    assert stored and stored != "[]"  # sealed in the table


def test_progress_is_visible_while_the_job_runs(env, monkeypatch):
    gate = env.gate(monkeypatch, at=4)
    job_id = env.start(import_jobs.CHECK)
    gate.hold()
    with env.app.app_context():
        job = db.session.get(ImportJob, job_id)
        assert job.status == "running"
        # held before its second chunk is recorded: the first one's rows show
        assert import_jobs.rows_done(env.app, job) == 2
    gate.go.set()
    wait_for_jobs(env.app)


def test_a_cancel_between_chunks_writes_nothing(env, monkeypatch):
    gate = env.gate(monkeypatch, at=2)
    job_id = env.start()
    gate.hold()  # two cards inserted in the job's transaction
    with env.app.app_context():
        import_jobs.cancel(env.app, db.session, db.session.get(ImportJob, job_id))
    gate.go.set()
    wait_for_jobs(env.app)
    job = env.job(job_id)
    assert job.status == "cancelled" and job.message
    assert env.count(Prospect) == 0 and env.count(ConsentRecord) == 0
    with env.app.app_context():
        imported = select(func.count()).where(AccessEvent.action == "import")
        assert db.session.scalar(imported) == 0
    assert not env.upload_exists()


def test_the_end_of_the_session_stops_its_job(env, monkeypatch):
    gate = env.gate(monkeypatch, at=2)
    job_id = env.start()
    gate.hold()
    import_jobs.end_session_jobs(env.app, env.session_id)
    gate.go.set()
    wait_for_jobs(env.app)
    job = env.job(job_id)
    assert job.status == "stopped" and "会话" in job.message
    assert env.count(Prospect) == 0 and not env.upload_exists()


def test_another_session_ending_leaves_the_job_alone(env, monkeypatch):
    gate = env.gate(monkeypatch, at=2)
    job_id = env.start()
    gate.hold()
    import_jobs.end_session_jobs(env.app, "another-session")
    gate.go.set()
    wait_for_jobs(env.app)
    assert env.job(job_id).status == "done" and env.count(Prospect) == ROWS


def test_a_deactivated_account_stops_its_check(env, monkeypatch):
    gate = env.gate(monkeypatch, at=2)
    job_id = env.start(import_jobs.CHECK)
    gate.hold()
    with env.app.app_context():
        db.session.execute(update(User).where(User.id == env.user_id).values(active=False))
        db.session.commit()
    gate.go.set()
    wait_for_jobs(env.app)
    assert env.job(job_id).status == "stopped" and not env.upload_exists()


def test_a_session_past_its_absolute_lifetime_stops_the_job(env):
    hours = env.app.config["SESSION_ABSOLUTE_HOURS"]
    job_id = env.start(signed_in_at=int(time.time()) - hours * 3600 - 60)
    wait_for_jobs(env.app)
    assert env.job(job_id).status == "stopped" and env.count(Prospect) == 0


def test_a_job_nobody_polls_for_the_idle_time_stops(env, monkeypatch):
    gate = env.gate(monkeypatch, at=2)
    job_id = env.start(import_jobs.CHECK)
    gate.hold()
    long_ago = utcnow() - timedelta(minutes=env.app.config["SESSION_IDLE_MINUTES"] + 1)
    import_jobs.runner(env.app).live(job_id).seen_at = long_ago
    with env.app.app_context():
        db.session.execute(update(ImportJob).where(ImportJob.id == job_id).values(seen_at=long_ago))
        db.session.commit()
    gate.go.set()
    wait_for_jobs(env.app)
    assert env.job(job_id).status == "stopped"


def test_a_job_past_its_time_bound_stops_with_a_message(env, monkeypatch):
    monkeypatch.setitem(env.app.config, "IMPORT_JOB_MAX_SECONDS", 1e-6)
    job_id = env.start()
    wait_for_jobs(env.app)
    job = env.job(job_id)
    assert job.status == "stopped" and "分钟" in job.message
    assert env.count(Prospect) == 0 and not env.upload_exists()


def test_a_user_runs_one_job_at_a_time(env, monkeypatch):
    gate = env.gate(monkeypatch, at=2)
    env.start(import_jobs.CHECK)
    gate.hold()
    with pytest.raises(import_jobs.JobRefused) as refused:
        env.start(import_jobs.CHECK, token=secrets.token_hex(16))
    assert "等" in refused.value.message
    gate.go.set()
    wait_for_jobs(env.app)
    env.start(import_jobs.CHECK)  # the first one ended: a new one may start
    wait_for_jobs(env.app)


def test_the_process_runs_at_most_its_cap_of_jobs(env, monkeypatch):
    monkeypatch.setitem(env.app.extensions, "import_jobs", import_jobs.JobRunner(1))
    gate = env.gate(monkeypatch, at=2)
    env.start(import_jobs.CHECK)
    gate.hold()
    with env.app.app_context():
        other = make_user(db.session, "clerk")
        db.session.commit()
        other_id = other.id
    with pytest.raises(import_jobs.JobRefused):
        env.start(import_jobs.CHECK, user_id=other_id)
    with env.app.app_context():
        assert db.session.scalar(select(func.count()).where(ImportJob.user_id == other_id)) == 0
    gate.go.set()
    wait_for_jobs(env.app)


def test_a_job_left_running_by_a_dead_process_no_longer_blocks_its_user(env):
    with env.app.app_context():
        db.session.add(
            ImportJob(
                user_id=env.user_id,
                token=env.token,
                phase="check",
                status="running",
                rows_done=0,
                session_key="x",
                created_at=utcnow() - timedelta(hours=2),
            )
        )
        db.session.commit()
    job_id = env.start(import_jobs.CHECK)
    wait_for_jobs(env.app)
    assert env.job(job_id).status == "done"
    with env.app.app_context():
        statuses = set(db.session.scalars(select(ImportJob.status)))
    assert statuses == {"done", "failed"}


def test_the_previews_rows_go_with_the_upload_and_ended_jobs_expire(env):
    check_id = env.start(import_jobs.CHECK)
    wait_for_jobs(env.app)
    assert env.job(check_id).preview == []
    import_id = env.start()
    wait_for_jobs(env.app)
    assert env.job(check_id).preview is None and env.job(import_id).status == "done"
    with env.app.app_context():
        assert import_jobs.prune(db.session, keep_hours=1) == 0  # too young
        db.session.execute(update(ImportJob).values(created_at=utcnow() - timedelta(hours=2)))
        assert import_jobs.prune(db.session, keep_hours=1) == 2
        db.session.commit()


def test_the_check_keeps_its_good_rows_sealed_for_the_import_which_deletes_them(env, monkeypatch):
    checked = import_store.checked_path(env.folder, env.token)
    env.start(import_jobs.CHECK)
    wait_for_jobs(env.app)
    assert checked.exists() and b"13900000001" not in checked.read_bytes()
    read_again = []
    monkeypatch.setattr(
        importer, "open_rows", lambda *a, **k: read_again.append(1) or pytest.fail("read again")
    )
    job_id = env.start()
    wait_for_jobs(env.app)
    job = env.job(job_id)
    assert job.status == "done" and job.outcome["inserted"] == ROWS and not read_again
    assert env.count(Prospect) == ROWS
    assert not checked.exists() and not env.upload_exists()


def test_a_cancelled_check_leaves_no_checked_rows(env, monkeypatch):
    gate = env.gate(monkeypatch)
    job_id = env.start(import_jobs.CHECK)
    gate.reached.wait(5)
    with env.app.app_context():
        import_jobs.cancel(env.app, db.session, env.job(job_id))
    gate.go.set()
    wait_for_jobs(env.app)
    assert env.job(job_id).status == "cancelled"
    assert not import_store.checked_path(env.folder, env.token).exists()
