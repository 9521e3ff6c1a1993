"""Re-encrypting stored values under the current data key (``flask rotate-keys``): every
value of the given encrypted columns not yet sealed with the current key is decrypted and
sealed again, in committed batches, so a run can be stopped and resumed."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import Column, Text, case, not_, select, tuple_, type_coerce, update
from sqlalchemy.orm import Session

from core.crypto import DecryptionError, Keyring, get_keyring
from models.types import EncryptedJSON, EncryptedString


@dataclass
class ColumnRotation:
    """What :func:`rotate` did to one column."""

    #: Rows re-encrypted under the current key (and committed).
    reencrypted: int = 0
    #: Rows changed by someone else between read and write; a re-run picks them up if needed.
    skipped: int = 0


def rotate(
    session: Session,
    models_columns: Iterable,
    batch_size: int = 500,
    *,
    keyring: Keyring | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, ColumnRotation]:
    """Re-encrypt every value not under the current key, committing after each batch.

    ``models_columns`` holds mapped attributes (``Prospect.mobile``) or table columns of type
    ``EncryptedString``. Values already under the current key are skipped, so an interrupted
    run is resumed by running again. Unlike the services, this commits: a batch is the unit
    of work, and holding every row of a large table in one transaction is what resumability
    avoids. Returns counts by binding (``"prospects.mobile"``).
    """
    keyring = keyring or get_keyring()
    results: dict[str, ColumnRotation] = {}
    for item in models_columns:
        column = _as_column(item)
        if not isinstance(column.type, (EncryptedString, EncryptedJSON)):
            raise TypeError(f"{column.table.name}.{column.name} is not an EncryptedString column")
        binding = column.type.binding
        results[binding] = _rotate_column(session, column, binding, keyring, batch_size, progress)
    return results


def _as_column(item) -> Column:
    prop = getattr(item, "property", None)
    if prop is not None and getattr(prop, "columns", None):
        return prop.columns[0]
    if isinstance(item, Column):
        return item
    raise TypeError(f"not a mapped column attribute or a table column: {item!r}")


def _rotate_column(session, column, binding, keyring, batch_size, progress) -> ColumnRotation:
    table = column.table
    (pk,) = table.primary_key.columns
    # Raw tokens, past the type's decryption, so the SQL can see the key id prefix.
    raw = type_coerce(column, Text())
    aad = binding.encode()
    # Rotation is not an edit: keep updated_at (and any other onupdate column) as it was.
    keep = {c.name: c for c in table.columns if c.onupdate is not None and c is not column}
    result = ColumnRotation()
    last_pk = None
    while True:
        query = (
            select(pk, raw)
            .where(
                raw.is_not(None), not_(raw.startswith(keyring.current_id + ":", autoescape=True))
            )
            .order_by(pk)
            .limit(batch_size)
        )
        if last_pk is not None:
            # Keyset paging: a row skipped below is not fetched again, so the loop ends.
            query = query.where(pk > last_pk)
        rows = session.execute(query).all()
        if not rows:
            return result
        try:
            fresh = {}
            for row_pk, token in rows:
                try:
                    fresh[row_pk] = keyring.encrypt(keyring.decrypt(token, aad), aad)
                except DecryptionError as exc:
                    raise DecryptionError(f"{binding} row {row_pk}: {exc}") from None
            # One statement per batch (a round trip per row made PostgreSQL 5x slower).
            # The (id, token) match writes a row only if unchanged since read, so a
            # clerk's concurrent edit is never overwritten; those rows count as skipped.
            new_token = case(
                {row_pk: type_coerce(token, Text()) for row_pk, token in fresh.items()},
                value=pk,
            )
            done = session.execute(
                update(table)
                .where(tuple_(pk, raw).in_([(row_pk, token) for row_pk, token in rows]))
                .values({column.name: new_token, **keep})
            )
            result.reencrypted += done.rowcount
            result.skipped += len(rows) - done.rowcount
            session.commit()
        except BaseException:
            session.rollback()
            raise
        last_pk = rows[-1][0]
        if progress is not None:
            progress(binding, result.reencrypted)
