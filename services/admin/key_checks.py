"""Start-up check that the configured keys are the ones the database was encrypted with.

Without it, a wrong ENCRYPTION_KEYS (a restored config from another office, a typo in an
environment variable) would start fine and fail on the first page showing a phone, and a
wrong BLIND_INDEX_KEY would silently make every exact search find nothing. The database
keeps a known-answer value per key (models/admin/key_checks.py); a mismatch stops start-up.
"""

from __future__ import annotations

import hmac

from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.crypto import PHONE, CryptoConfigError, DecryptionError, Keyring
from models.admin.key_checks import EncryptionKeyCheck

#: What the data-key rows seal and the blind-index row hashes. Not secret.
_KNOWN_TEXT = "panel key check"
_BLIND_ROW = "blind"


def _data_row(key_id: str) -> str:
    return f"data:{key_id}"


def _aad(key_id: str) -> bytes:
    return f"encryption_key_checks.{key_id}".encode("ascii")


def _blind_value(keyring: Keyring) -> str:
    # A phone-purpose index of a fixed digit string: any key change alters it.
    return keyring.blind_index("10000000000", PHONE)


def verify_database_keys(session: Session, keyring: Keyring) -> list[str]:
    """Raise CryptoConfigError if a key does not fit the database; record keys seen first.

    Returns the names of the rows added (keys used with this database for the first time).
    Does nothing before the schema exists (``flask db upgrade`` on a fresh install).
    """
    if not inspect(session.get_bind()).has_table(EncryptionKeyCheck.__tablename__):
        return []
    rows = {row.name: row.value for row in session.scalars(select(EncryptionKeyCheck))}

    for name, value in rows.items():
        if name == _BLIND_ROW:
            if not hmac.compare_digest(value, _blind_value(keyring)):
                raise CryptoConfigError(
                    "BLIND_INDEX_KEY is not the key this database's search indexes were built "
                    "with: exact search by phone or ID number would find nothing"
                )
            continue
        key_id = name.removeprefix("data:")
        if key_id not in keyring.key_ids:
            # Values sealed with a key that is gone cannot be read; say which key is missing.
            raise CryptoConfigError(
                f"ENCRYPTION_KEYS lacks key {key_id!r}, which this database has used; "
                "restore it (keys are retired only after rotation reports nothing left)"
            )
        try:
            opened = keyring.decrypt(value, _aad(key_id))
        except DecryptionError:
            opened = None
        if opened != _KNOWN_TEXT:
            raise CryptoConfigError(
                f"ENCRYPTION_KEYS[{key_id!r}] is not the key this database was encrypted with"
            )

    # Only the current key gets a row when first seen: an old key kept in the configuration
    # for reading needs none, and retire_key can then drop a key for good.
    added = []
    wanted = {_data_row(keyring.current_id): None, _BLIND_ROW: None}
    for name in wanted:
        if name in rows:
            continue
        if name == _BLIND_ROW:
            value = _blind_value(keyring)
        else:
            value = keyring.encrypt(_KNOWN_TEXT, _aad(keyring.current_id))
        session.add(EncryptionKeyCheck(name=name, value=value))
        added.append(name)
    if added:
        try:
            session.commit()
        except IntegrityError:
            # Another worker starting at the same moment wrote them; check theirs.
            session.rollback()
            return verify_database_keys(session, keyring)
    return added


def retire_key(session: Session, keyring: Keyring, key_id: str, columns) -> int:
    """Forget ``key_id`` if no value in ``columns`` is sealed with it; return how many are.

    Run after rotation: when it returns 0 the key's check row is gone (committed) and the key
    can be removed from ENCRYPTION_KEYS. The current key cannot be retired.
    """
    from sqlalchemy import Text, func, type_coerce

    if key_id == keyring.current_id:
        raise CryptoConfigError(f"{key_id!r} is the current key; rotate to another first")
    left = 0
    for column in columns:
        raw = type_coerce(column, Text())
        left += session.scalar(
            select(func.count()).select_from(column.table).where(raw.startswith(f"{key_id}:"))
        )
    if left == 0:
        row = session.get(EncryptionKeyCheck, _data_row(key_id))
        if row is not None:
            session.delete(row)
        session.commit()
    return left
