"""The backup jobs through the CLI: prune and daily in a folder of their own, and the restore
drill on the test database's kind (SQLite, or PostgreSQL when the suite runs on it)."""

from __future__ import annotations

import os
import stat
import tempfile
import uuid

import pytest
from sqlalchemy import create_engine, make_url, select, text

from extensions import db
from models.privacy.audit import AccessEvent
from services.admin import backup_drill
from services.privacy import audit
from tests.factories import make_prospect

KEY = "cd" * 32
OLD = [
    "panel-20261001-160500.bak",  # October's only one: kept (monthly)
    "panel-20261110-160500.bak",  # 11 Nov, kept as its week's newest
    "panel-20261109-160500.bak",  # 10 Nov, same week: deleted
    "panel-20261123-160500.bak",  # 24 Nov: kept (the one day kept)
]


@pytest.fixture
def backups(app, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    app.config.update(BACKUP_KEY=KEY, BACKUP_DIR=str(folder))
    yield folder
    for name in ("BACKUP_KEY", "BACKUP_DIR", "BACKUP_KEEP_DAILY", "BACKUP_DRILL_DATABASE"):
        app.config.pop(name, None)


def _seed(app) -> None:
    with app.app_context():
        prospect = make_prospect(db.session, name="演练客户", mobile="13955507788")
        audit.record(
            db.session, audit.SYSTEM, "details", record_type="prospect", record_id=prospect.id
        )
        db.session.commit()


def _drill_events(app) -> list[AccessEvent]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AccessEvent)
                .where(AccessEvent.action == "restore_drill")
                .order_by(AccessEvent.seq)
            )
        )


@pytest.mark.instant()
def test_prune_keeps_the_rotation_and_leaves_other_files(app, backups):
    for name in [*OLD, "notes.txt"]:
        (backups / name).write_bytes(b"x")
    result = app.test_cli_runner().invoke(args=["backup", "prune", "--daily", "1"])
    assert result.exit_code == 0, result.output
    assert "deleted: panel-20261109-160500.bak" in result.output
    assert "3 kept, 1 deleted" in result.output
    assert sorted(p.name for p in backups.iterdir()) == sorted(
        {*OLD, "notes.txt"} - {"panel-20261109-160500.bak"}
    )
    # the numbers are configurable, by configuration and by option
    app.config["BACKUP_KEEP_DAILY"] = 1
    result = app.test_cli_runner().invoke(
        args=["backup", "prune", "--weekly", "0", "--monthly", "0"]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in backups.iterdir()) == ["notes.txt", "panel-20261123-160500.bak"]


@pytest.mark.instant()
def test_daily_creates_then_prunes(app, backups):
    for name in OLD:
        (backups / name).write_bytes(b"x")
    app.config["BACKUP_KEEP_DAILY"] = 2
    result = app.test_cli_runner().invoke(args=["backup", "daily"])
    assert result.exit_code == 0, result.output
    assert "backup written" in result.output
    made = [p for p in backups.iterdir() if p.name.startswith("panel-20261125-")]
    assert len(made) == 1 and stat.S_IMODE(made[0].stat().st_mode) == 0o600
    assert f"kept: {made[0].name}" in result.output
    assert not (backups / "panel-20261109-160500.bak").exists()


def _scratch_name() -> str:
    return f"h_drill_scratch_{uuid.uuid4().hex[:8]}"


def _database_exists(app, name: str) -> bool:
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    engine = create_engine(url.set(database="postgres"))
    try:
        with engine.connect() as conn:
            return bool(
                conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            )
    finally:
        engine.dispose()


def test_drill_restores_verifies_records_and_cleans_up(app, backups, tmp_path, monkeypatch):
    _seed(app)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", "create"]).exit_code == 0
    scratch_tmp = tmp_path / "tmp"
    scratch_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch_tmp))
    modes = []
    real_check = backup_drill._check

    def watching_check(target_uri):
        database = make_url(target_uri).database
        if make_url(target_uri).get_backend_name() == "sqlite":
            modes.append(stat.S_IMODE(os.stat(database).st_mode))
        return real_check(target_uri)

    monkeypatch.setattr(backup_drill, "_check", watching_check)
    scratch = _scratch_name()
    app.config["BACKUP_DRILL_DATABASE"] = scratch

    result = runner.invoke(args=["backup", "drill"])

    assert result.exit_code == 0, result.output
    assert "restore drill ok" in result.output
    [event] = _drill_events(app)
    assert event.outcome == "ok" and event.path.startswith("panel-")
    assert " events, " in event.path and "演练" not in event.path
    assert list(scratch_tmp.iterdir()) == []  # the scratch copy is gone
    backend = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()
    if backend == "sqlite":
        assert modes == [0o600]
    else:
        assert not _database_exists(app, scratch)
    with app.app_context():
        assert audit.verify(db.session).ok  # the drill's own event extends the live chain
        last = backup_drill.last(db.session)
        assert last is not None and last.ok


def test_a_drill_on_an_altered_backup_is_recorded_as_failed(app, backups):
    _seed(app)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", "create"]).exit_code == 0
    [made] = list(backups.iterdir())
    data = bytearray(made.read_bytes())
    data[-1] ^= 1
    made.write_bytes(bytes(data))
    app.config["BACKUP_DRILL_DATABASE"] = scratch = _scratch_name()

    result = runner.invoke(args=["backup", "drill"])

    assert result.exit_code != 0
    assert "restore drill failed" in result.output and "Traceback" not in result.output
    [event] = _drill_events(app)
    assert event.outcome == "failed"
    assert event.path.startswith(made.name) and "does not open with this key" in event.path
    if make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() == "postgresql":
        assert not _database_exists(app, scratch)


def test_a_drill_without_any_backup_fails(app, backups):
    result = app.test_cli_runner().invoke(args=["backup", "drill"])
    assert result.exit_code != 0 and "no backup file found" in result.output
    [event] = _drill_events(app)
    assert event.outcome == "failed"


def test_the_scratch_database_is_never_the_live_one(app, backups):
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "postgresql":
        pytest.skip("PostgreSQL only: SQLite drills into a temporary file")
    _seed(app)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", "create"]).exit_code == 0
    result = runner.invoke(args=["backup", "drill", "--scratch", url.database])
    assert result.exit_code != 0 and "live database" in result.output
    assert _database_exists(app, url.database)
