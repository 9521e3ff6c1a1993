"""The rows a check pass found good, kept sealed for the import of the same upload.

An import used to read and check the whole file a second time: half of its Python time at
100,000 cards (docs/import.md, "fourth pass"). The check pass now writes what it found, chunk
by chunk, to ``{token}-checked.sealed``; the import reads it back instead, when nothing the
checks depended on has changed (``fingerprint``: the kind, the mapping, the sheet and title
row, the importing account, the office date and the reference lists and consultants the
checks matched against). Anything else (another mapping, a list item renamed, a day later, a
file that does not open) and the import reads and checks the upload again, as before. The
duplicates against the database are looked up again by the import in its own transaction
either way (``importer.mark_existing``).

Personal data never waits in plain form: the file is sealed like the upload
(services/shared/import_store.py): a fresh AES-256-GCM key per file, itself sealed with the
panel's data keys; each chunk is its own frame, authenticated with the token, the
fingerprint and its position, and the last frame says how many chunks came before it, so a
frame moved, swapped, cut off or altered does not open. Layout::

    b"PANELCR1" | 2-byte length | sealed file key | 32-byte fingerprint
    then frames: 4-byte length | 12-byte nonce | ciphertext+tag   (the last: the end mark)

A frame holds one chunk as pickled (row number, record or None) pairs: pickle because a
record holds dates and Decimals; only those classes are let back in (``_Unpickler``), and
only from a frame that opened under the panel's key.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import hashlib
import io
import os
import pickle
import zlib
from collections.abc import Iterator
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core import crypto

MAGIC = b"PANELCR1"
#: The frames' format, part of every fingerprint: a file written under another is not read.
FORMAT = 1
_NONCE = 12
_FINGERPRINT = 32
#: A frame longer than this is not one this module wrote (a chunk is about 1 MB at most).
_MAX_FRAME = 64 * 1024 * 1024


class CheckedRowsUnusable(Exception):
    """The file is missing, was written for another check, or does not open."""


def fingerprint(*parts) -> bytes:
    """A digest of what the checks depended on; ``parts`` must repr the same for the same
    inputs (dicts sorted by the caller)."""
    return hashlib.sha256(repr(parts).encode("utf-8")).digest()


def _aad(token: str, print_: bytes, index: int, last: bool) -> bytes:
    return MAGIC + token.encode("ascii") + print_ + index.to_bytes(8, "big") + bytes([last])


class Writer:
    """Writes the checked chunks of one upload as they are found; ``close`` marks the end.
    A file without its end mark (a check cancelled or failed) is never read."""

    def __init__(self, path: Path, token: str, print_: bytes):
        self.path = path
        self.token = token
        self.print = print_
        self._key = AESGCM.generate_key(bit_length=256)
        self._aes = AESGCM(self._key)
        self._index = 0
        wrapped = crypto.encrypt(
            base64.b64encode(self._key).decode("ascii"), MAGIC + token.encode("ascii") + print_
        ).encode("ascii")
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self._out = os.fdopen(descriptor, "wb")
        self._out.write(MAGIC + len(wrapped).to_bytes(2, "big") + wrapped + print_)

    def _frame(self, payload: bytes, last: bool) -> None:
        nonce = os.urandom(_NONCE)
        body = self._aes.encrypt(nonce, payload, _aad(self.token, self.print, self._index, last))
        self._out.write((len(body) + _NONCE).to_bytes(4, "big") + nonce + body)
        self._index += 1

    def write(self, pairs: list[tuple[int, dict | None]]) -> None:
        # level 1: the frame is mostly repeated keys; a stronger level costs more than it saves
        self._frame(zlib.compress(pickle.dumps(pairs, protocol=5), 1), last=False)

    def close(self) -> None:
        try:
            self._frame(self._index.to_bytes(8, "big"), last=True)
        finally:
            self._out.close()

    def abandon(self) -> None:
        self._out.close()
        self.path.unlink(missing_ok=True)


class _Unpickler(pickle.Unpickler):
    _ALLOWED = {
        ("datetime", "date"): datetime.date,
        ("datetime", "datetime"): datetime.datetime,
        ("decimal", "Decimal"): decimal.Decimal,
    }

    def find_class(self, module: str, name: str):
        found = self._ALLOWED.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(f"{module}.{name} is not a value of a checked row")
        return found


def _frames(handle, start: int, size: int) -> list[tuple[int, int]]:
    """(offset, length) of every frame after the header, by their lengths alone."""
    frames, at = [], start
    while at < size:
        handle.seek(at)
        head = handle.read(4)
        length = int.from_bytes(head, "big")
        if len(head) < 4 or not _NONCE < length <= _MAX_FRAME or at + 4 + length > size:
            raise CheckedRowsUnusable("a frame is cut off")
        frames.append((at + 4, length))
        at += 4 + length
    return frames


def open_chunks(path: Path, token: str, print_: bytes) -> Iterator[list[tuple[int, dict | None]]]:
    """The checked chunks of ``path``, in order, read one frame at a time (memory stays
    flat); ``CheckedRowsUnusable`` (before any chunk is given) when the file is missing, was
    written for another fingerprint, has no end mark or its key or end mark does not open. A
    middle frame altered after that raises it while reading: the import's transaction is
    then rolled back."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise CheckedRowsUnusable("no checked rows") from exc
    try:
        size = os.fstat(handle.fileno()).st_size
        head = handle.read(len(MAGIC) + 2)
        if not head.startswith(MAGIC) or len(head) < len(MAGIC) + 2:
            raise CheckedRowsUnusable("not a checked-rows file")
        length = int.from_bytes(head[len(MAGIC) :], "big")
        wrapped, stored_print = handle.read(length), handle.read(_FINGERPRINT)
        if stored_print != print_:
            raise CheckedRowsUnusable("written for another check")
        try:
            key = base64.b64decode(
                crypto.decrypt(wrapped.decode("ascii"), MAGIC + token.encode("ascii") + print_)
            )
            aes = AESGCM(key)
        except (crypto.DecryptionError, UnicodeDecodeError, ValueError) as exc:
            raise CheckedRowsUnusable("the key does not open") from exc
        frames = _frames(handle, len(MAGIC) + 2 + length + _FINGERPRINT, size)
        if not frames:
            raise CheckedRowsUnusable("no end mark")

        def opened(index: int, last: bool) -> bytes:
            offset, frame_size = frames[index]
            handle.seek(offset)
            frame = handle.read(frame_size)
            try:
                return aes.decrypt(frame[:_NONCE], frame[_NONCE:], _aad(token, print_, index, last))
            except InvalidTag as exc:
                raise CheckedRowsUnusable("a frame does not open") from exc

        end = opened(len(frames) - 1, last=True)
        if int.from_bytes(end, "big") != len(frames) - 1:
            raise CheckedRowsUnusable("the end mark does not count the chunks")
    except BaseException:
        handle.close()
        raise

    def chunks() -> Iterator[list[tuple[int, dict | None]]]:
        with handle:
            for index in range(len(frames) - 1):
                payload = zlib.decompress(opened(index, last=False))
                yield _Unpickler(io.BytesIO(payload)).load()

    return chunks()
