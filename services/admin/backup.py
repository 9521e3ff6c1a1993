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
        key = bytes.fromhex(str(configured).strip())
    else:
        path = Path(instance_path) / "backup_key"
        if not path.exists():
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        key = bytes.fromhex(path.read_text().strip())
    if len(key) != 32:
        raise BackupError("the backup key must be 32 bytes (64 hex characters)")
    return key


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
    existing empty PostgreSQL database)."""
    url = make_url(into_uri)
    backend = url.get_backend_name()
    plain = _open(backup.read_bytes(), key, backend)
    if backend == "sqlite":
        target = Path(url.database)
        if target.exists() and target.stat().st_size:
            raise BackupError("the target SQLite file exists; restore into a new file")
        target.write_bytes(plain)
        return
    pg_restore = shutil.which("pg_restore")
    if not pg_restore:
        raise BackupError("pg_restore is not installed")
    args, env = _pg_args(url)
    with tempfile.NamedTemporaryFile(suffix=".dump") as raw:
        raw.write(plain)
        raw.flush()
        subprocess.run(  # noqa: S603 - fixed program, arguments from the given URL
            [
                pg_restore,
                "--no-owner",
                "--exit-on-error",
                *args,
                "--dbname",
                url.database,
                raw.name,
            ],
            check=True,
            env=env,
            capture_output=True,
        )
