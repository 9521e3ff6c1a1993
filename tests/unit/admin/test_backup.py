"""Encrypted backups restore into a fresh database whose access log still verifies."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, make_url, select, text
from sqlalchemy.orm import Session

from extensions import db
from models.sales.prospects import Prospect
from services.admin import backup
from services.privacy import audit
from tests.factories import make_prospect

MOBILE = "13955501234"
KEY = "ab" * 32


@pytest.fixture
def backup_key(app):
    app.config["BACKUP_KEY"] = KEY
    yield bytes.fromhex(KEY)
    app.config.pop("BACKUP_KEY", None)


def _seed(app) -> None:
    with app.app_context():
        prospect = make_prospect(db.session, name="备份客户", mobile=MOBILE)
        for action in ("list", "details", "export"):
            audit.record(
                db.session, audit.SYSTEM, action, record_type="prospect", record_id=prospect.id
            )
        db.session.commit()


def _scratch_target(app, tmp_path):
    """A new empty database of the same kind as the test database, and its cleanup."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.db'}", lambda: None
    name = f"restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def test_backup_is_encrypted_and_restores_with_a_verified_log(app, tmp_path, backup_key):
    _seed(app)
    runner = app.test_cli_runner()
    out = tmp_path / "panel.bak"
    made = runner.invoke(args=["backup", "create", "--out", str(out)])
    assert made.exit_code == 0, made.output
    sealed = out.read_bytes()
    assert sealed.startswith(backup.MAGIC)
    assert MOBILE.encode() not in sealed and "备份客户".encode() not in sealed
    assert oct(os.stat(out).st_mode & 0o777) == "0o600"

    target, cleanup = _scratch_target(app, tmp_path)
    try:
        restored = runner.invoke(args=["backup", "restore", str(out), "--into", target])
        assert restored.exit_code == 0, restored.output
        assert "verified" in restored.output
        engine = create_engine(target)
        with Session(engine) as session:
            assert (
                session.scalar(select(Prospect.mobile).where(Prospect.name == "备份客户")) == MOBILE
            )
            assert audit.verify(session).ok
        engine.dispose()
    finally:
        cleanup()


def test_a_wrong_key_or_an_altered_file_does_not_restore(app, tmp_path, backup_key):
    _seed(app)
    out = tmp_path / "panel.bak"
    with app.app_context():
        backup.create(app.config["SQLALCHEMY_DATABASE_URI"], out, backup_key)
    dialect = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()
    with pytest.raises(backup.BackupError):
        backup._open(out.read_bytes(), b"\x01" * 32, dialect)
    altered = bytearray(out.read_bytes())
    altered[-20] ^= 0xFF
    with pytest.raises(backup.BackupError):
        backup._open(bytes(altered), backup_key, dialect)
    altered_file = tmp_path / "altered.bak"
    altered_file.write_bytes(bytes(altered))
    # Into a database that does not exist yet, so the only reason to refuse is the file or key.
    if dialect == "sqlite":
        never = tmp_path / "never.db"
        target, cleanup = f"sqlite:///{never}", lambda: None
    else:
        never = None
        target, cleanup = _scratch_target(app, tmp_path)
    runner = app.test_cli_runner()
    try:
        bad = runner.invoke(args=["backup", "restore", str(altered_file), "--into", target])
        app.config["BACKUP_KEY"] = "01" * 32
        wrong_key = runner.invoke(args=["backup", "restore", str(out), "--into", target])
    finally:
        app.config["BACKUP_KEY"] = KEY
        cleanup()
    for result in (bad, wrong_key):
        assert result.exit_code != 0
        assert "restore failed: BackupError" in result.output, result.output
        assert "does not open with this key" in result.output, result.output
        assert "file exists" not in result.output
    assert never is None or not never.exists()


def test_a_restored_sqlite_file_is_readable_by_its_owner_only(app, tmp_path, backup_key):
    if make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() != "sqlite":
        pytest.skip("file modes are a SQLite matter")
    _seed(app)
    out = tmp_path / "panel.bak"
    with app.app_context():
        backup.create(app.config["SQLALCHEMY_DATABASE_URI"], out, backup_key)
    restored = tmp_path / "restored.db"
    old_umask = os.umask(0o022)  # the usual umask, which would give 644
    try:
        backup.restore(out, f"sqlite:///{restored}", backup_key)
    finally:
        os.umask(old_umask)
    assert oct(os.stat(restored).st_mode & 0o777) == "0o600"


def test_a_database_that_is_not_empty_is_refused_before_anything_is_written(
    app, tmp_path, backup_key
):
    if make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() != "postgresql":
        pytest.skip("a SQLite restore always makes a new file")
    _seed(app)
    out = tmp_path / "panel.bak"
    with app.app_context():
        backup.create(app.config["SQLALCHEMY_DATABASE_URI"], out, backup_key)
    target, cleanup = _scratch_target(app, tmp_path)
    engine = create_engine(target)
    try:
        with engine.begin() as conn:
            # One table of the panel's own name (the half-restored case) and one unrelated.
            conn.execute(text("CREATE TABLE prospects (id integer)"))
            conn.execute(text("CREATE TABLE notes_of_someone_else (id integer)"))
        with pytest.raises(backup.BackupError, match="not empty"):
            backup.restore(out, target, backup_key)
        with engine.connect() as conn:
            tables = conn.execute(
                text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            ).scalar_one()
        assert tables == 2  # nothing added, nothing left behind
    finally:
        engine.dispose()
        cleanup()


def test_a_failed_postgres_restore_leaves_the_target_empty(app, tmp_path, backup_key):
    if make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() != "postgresql":
        pytest.skip("PostgreSQL's restore runs in one transaction")
    out = tmp_path / "panel.bak"
    # A well-sealed dump that pg_restore cannot read: refused with one line, nothing written.
    out.write_bytes(backup._seal(b"PGDMP-not-really-a-dump", backup_key, "postgresql"))
    target, cleanup = _scratch_target(app, tmp_path)
    engine = create_engine(target)
    try:
        with pytest.raises(backup.BackupError, match="pg_restore refused the backup"):
            backup.restore(out, target, backup_key)
        with engine.connect() as conn:
            tables = conn.execute(
                text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            ).scalar_one()
        assert tables == 0
    finally:
        engine.dispose()
        cleanup()


@pytest.mark.parametrize("bad_key", ["not-hex-at-all", "ab" * 16, "zz" * 32])
def test_a_malformed_backup_key_is_one_line_not_a_traceback(app, tmp_path, bad_key):
    app.config["BACKUP_KEY"] = bad_key
    try:
        result = app.test_cli_runner().invoke(
            args=["backup", "create", "--out", str(tmp_path / "x.bak")]
        )
    finally:
        app.config.pop("BACKUP_KEY", None)
    assert result.exit_code != 0
    assert "backup key must be" in result.output
    assert "Traceback" not in result.output and bad_key not in result.output
    assert not (tmp_path / "x.bak").exists()
