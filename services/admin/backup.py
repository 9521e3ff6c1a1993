"""Encrypted backups of the database, and their restore into a fresh database.

A backup is the database copied consistently while the panel runs (SQLite's online backup
API; ``pg_dump --format=custom`` on PostgreSQL), then sealed with AES-256-GCM under the
backup key, so a stolen backup file shows nothing of the customers. File layout::

    b"PANELBK1" | 12-byte nonce | ciphertext+tag      (AAD: b"PANELBK1" + dialect name)

The backup key lives in ``BACKUP_KEY`` (hex, from the instance configuration or the
environment) or in ``instance/backup_key`` (made on first use, owner-only). Keep it apart
from the backup files: a backup is useless without it, and anyone with both can read it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.engine import make_url

MAGIC = b"PANELBK1"


class BackupError(Exception):
    """A backup or restore failed; the message says why (never a key or data)."""


def backup_key(config, instance_path: str) -> bytes:
    """The 32-byte backup key from BACKUP_KEY, else instance/backup_key (created once)."""
    configured = config.get("BACKUP_KEY") or os.environ.get("PANEL_BACKUP_KEY")
    if configured:
        key = _key_from_hex(str(configured))
    else:
        path = Path(instance_path) / "backup_key"
        if not path.exists():
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        key = _key_from_hex(path.read_text())
    if len(key) != 32:
        raise BackupError("the backup key must be 32 bytes (64 hex characters)")
    return key


def _key_from_hex(text: str) -> bytes:
    try:
        return bytes.fromhex(text.strip())
    except ValueError:
        # Never echo the value: it is (nearly) the key.
        raise BackupError("the backup key must be 64 hex characters") from None


def _seal(plain: bytes, key: bytes, dialect: str) -> bytes:
    nonce = secrets.token_bytes(12)
    return MAGIC + nonce + AESGCM(key).encrypt(nonce, plain, MAGIC + dialect.encode())


def _open(sealed: bytes, key: bytes, dialect: str) -> bytes:
    if not sealed.startswith(MAGIC) or len(sealed) < len(MAGIC) + 12 + 16:
        raise BackupError("not a panel backup file")
    nonce = sealed[len(MAGIC) : len(MAGIC) + 12]
    try:
        return AESGCM(key).decrypt(nonce, sealed[len(MAGIC) + 12 :], MAGIC + dialect.encode())
    except InvalidTag as exc:
        raise BackupError(
            "the backup does not open with this key (wrong key, another database kind, or an "
            "altered file)"
        ) from exc


def _pg_args(url) -> tuple[list[str], dict]:
    args = ["--host", url.host or "127.0.0.1", "--port", str(url.port or 5432)]
    if url.username:
        args += ["--username", url.username]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    return args, env


def create(database_uri: str, out: Path, key: bytes) -> Path:
    """Write an encrypted backup of ``database_uri`` to ``out``."""
    url = make_url(database_uri)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw"
        if url.get_backend_name() == "sqlite":
            source = sqlite3.connect(url.database)
            target = sqlite3.connect(raw)
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
            dialect = "sqlite"
        elif url.get_backend_name() == "postgresql":
            pg_dump = shutil.which("pg_dump")
            if not pg_dump:
                raise BackupError("pg_dump is not installed")
            args, env = _pg_args(url)
            subprocess.run(  # noqa: S603 - fixed program, arguments from the configured URL
                [
                    pg_dump,
                    "--format=custom",
                    "--no-owner",
                    *args,
                    "--file",
                    str(raw),
                    url.database,
                ],
                check=True,
                env=env,
                capture_output=True,
            )
            dialect = "postgresql"
        else:
            raise BackupError(f"no backup for {url.get_backend_name()}")
        sealed = _seal(raw.read_bytes(), key, dialect)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(sealed)
    out.chmod(0o600)
    return out


def restore(backup: Path, into_uri: str, key: bytes) -> None:
    """Restore ``backup`` into the EMPTY database ``into_uri`` (a new SQLite file, or an
    existing empty PostgreSQL database). All or nothing: a database that already holds tables
    is refused before anything is written, and PostgreSQL restores in one transaction, so a
    failure leaves the target as it was. The decrypted dump never touches the disk."""
    url = make_url(into_uri)
    backend = url.get_backend_name()
    plain = _open(backup.read_bytes(), key, backend)
    if backend == "sqlite":
        target = Path(url.database)
        if target.exists() and target.stat().st_size:
            raise BackupError("the target SQLite file exists; restore into a new file")
        # Created readable by its owner only, like the backup itself (the umask would give 644).
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as fh:
            fh.write(plain)
        target.chmod(0o600)
        return
    pg_restore = shutil.which("pg_restore")
    if not pg_restore:
        raise BackupError("pg_restore is not installed")
    _require_empty_postgres(into_uri)
    args, env = _pg_args(url)
    done = subprocess.run(  # noqa: S603 - fixed program, arguments from the given URL
        [
            pg_restore,
            "--no-owner",
            "--exit-on-error",
            "--single-transaction",
            *args,
            "--dbname",
            url.database,
        ],
        input=plain,
        env=env,
        capture_output=True,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore refused the backup: {_first_error(done.stderr)}")


def _require_empty_postgres(into_uri: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(into_uri)
    try:
        with engine.connect() as connection:
            tables = connection.execute(
                text(
                    "SELECT count(*) FROM pg_tables "
                    "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
                )
            ).scalar_one()
    except Exception as exc:  # the database is missing or refuses us: say so, not a traceback
        raise BackupError(f"cannot open the target database: {type(exc).__name__}") from None
    finally:
        engine.dispose()
    if tables:
        raise BackupError(
            f"the target database is not empty ({tables} tables); restore into a new, "
            "empty database"
        )


def _first_error(stderr: bytes) -> str:
    # The first error line only: later lines (and DETAIL) may quote rows of customer data.
    for line in stderr.decode(errors="replace").splitlines():
        if "error" in line.lower():
            return line.split("DETAIL")[0].strip()[:200]
    return "unknown error"
