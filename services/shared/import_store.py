"""Uploaded workbooks wait between the import's steps sealed, never in plain form on disk.

A workbook full of names and phone numbers waits under instance/imports/ (IMPORT_FOLDER) from
its upload to its import. Each file is sealed with AES-256-GCM under a fresh key of its own;
that key is sealed with the panel's data keys (core/crypto.py, like the encrypted columns)
and kept in the file's header, and the upload's token is the associated data, so a file
renamed to another token does not open. Opened files are only ever held in memory (they are
bounded by IMPORT_MAX_BYTES). Layout::

    b"PANELIM1" | 2-byte length | sealed file key (ASCII) | 12-byte nonce | ciphertext+tag

Files are deleted when the import ends, is cancelled or refused, and any left over (a user
who walked away) expire after IMPORT_KEEP_HOURS, at each upload and by
``flask imports expire`` (cron).
"""

from __future__ import annotations

import base64
import os
import re
import time
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core import crypto

MAGIC = b"PANELIM1"
#: Hours an unfinished upload may wait before it is deleted (default, IMPORT_KEEP_HOURS).
KEEP_HOURS = 24
_NONCE = 12
#: The files of one upload: {token}.sealed, {token}-rejected.sealed, {token}.json and the
#: rows its check found good, {token}-checked.sealed (services/shared/checked_rows.py).
_UPLOAD_FILE_RE = re.compile(r"^[0-9a-f]{32}(\.sealed|-rejected\.sealed|-checked\.sealed|\.json)$")


class SealedFileError(Exception):
    """A waiting file does not open (altered, another token, or keys that changed)."""


def upload_folder(config, instance_path: str) -> Path:
    """IMPORT_FOLDER, else instance/imports; made owner-only when first needed."""
    configured = config.get("IMPORT_FOLDER")
    folder = Path(configured) if configured else Path(instance_path) / "imports"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def keep_hours(config) -> float:
    return float(config.get("IMPORT_KEEP_HOURS") or KEEP_HOURS)


def _aad(token: str, part: str) -> bytes:
    return MAGIC + f"{token}:{part}".encode("ascii")


def seal(data: bytes, token: str, part: str = "upload") -> bytes:
    file_key = AESGCM.generate_key(bit_length=256)
    wrapped = crypto.encrypt(base64.b64encode(file_key).decode("ascii"), _aad(token, part))
    wrapped_bytes = wrapped.encode("ascii")
    nonce = os.urandom(_NONCE)
    body = AESGCM(file_key).encrypt(nonce, data, _aad(token, part))
    return MAGIC + len(wrapped_bytes).to_bytes(2, "big") + wrapped_bytes + nonce + body


def unseal(sealed: bytes, token: str, part: str = "upload") -> bytes:
    if not sealed.startswith(MAGIC) or len(sealed) < len(MAGIC) + 2:
        raise SealedFileError("not a sealed upload")
    start = len(MAGIC) + 2
    length = int.from_bytes(sealed[len(MAGIC) : start], "big")
    wrapped = sealed[start : start + length]
    nonce = sealed[start + length : start + length + _NONCE]
    try:
        file_key = base64.b64decode(crypto.decrypt(wrapped.decode("ascii"), _aad(token, part)))
        return AESGCM(file_key).decrypt(nonce, sealed[start + length + _NONCE :], _aad(token, part))
    except (crypto.DecryptionError, InvalidTag, UnicodeDecodeError, ValueError) as exc:
        raise SealedFileError("the waiting file does not open") from exc


def write_sealed(path: Path, data: bytes, token: str, part: str = "upload") -> None:
    """Write ``data`` sealed, owner-only from its first byte."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(seal(data, token, part))


def read_sealed(path: Path, token: str, part: str = "upload") -> bytes:
    return unseal(path.read_bytes(), token, part)


def discard(folder: Path, token: str) -> None:
    """Delete every file of one upload (the import ended, was cancelled or refused)."""
    for name in (f"{token}.sealed", f"{token}-rejected.sealed", f"{token}.json"):
        (folder / name).unlink(missing_ok=True)
    checked_path(folder, token).unlink(missing_ok=True)


def checked_path(folder: Path, token: str) -> Path:
    """Where the check of an upload keeps the rows it found good (sealed by
    services/shared/checked_rows.py), deleted with the upload."""
    return folder / f"{token}-checked.sealed"


def expire(folder: Path, keep_hours: float = KEEP_HOURS, now: float | None = None) -> int:
    """Delete the upload files older than ``keep_hours`` (by modification time, a file-system
    age, not an office date); the number deleted. Plain .xlsx files an older version of the
    panel left there go too."""
    if not folder.is_dir():
        return 0
    cutoff = (time.time() if now is None else now) - keep_hours * 3600
    deleted = 0
    for path in folder.iterdir():
        legacy = re.fullmatch(r"[0-9a-f]{32}(-rejected)?\.xlsx", path.name)
        if not (_UPLOAD_FILE_RE.fullmatch(path.name) or legacy) or not path.is_file():
            continue
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                deleted += 1
        except FileNotFoundError:
            continue  # another worker expired it first
    return deleted
