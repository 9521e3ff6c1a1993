"""Column types for personal data: encrypted text bound to its column, and its blind index.

Declaring an encrypted phone with an exact-match index::

    #: Mainland mobile (personal data, encrypted; exact search through mobile_bidx).
    mobile: Mapped[str | None] = mapped_column(EncryptedString("prospects.mobile", 20))
    #: Blind index of mobile (HMAC, exact match only).
    mobile_bidx: Mapped[str | None] = blind_index_column()

    keep_blind_index(Prospect.mobile, Prospect.mobile_bidx, PHONE)   # after the class

and searching: ``select(Prospect).where(blind_match(Prospect.mobile_bidx, term, PHONE))``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import ColumnElement, MetaData, String, Text, event, false
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql import operators
from sqlalchemy.types import TypeDecorator

from core import crypto
from core.crypto import ID_NUMBER, NORMALISERS, PHONE, blind_index, normalise

__all__ = [
    "ID_NUMBER",
    "EncryptedJSON",
    "PHONE",
    "EncryptedComparisonError",
    "EncryptedString",
    "blind_index_column",
    "blind_indexes_for",
    "blind_index_of",
    "blind_match",
    "is_encrypted",
    "check_bindings",
    "encrypted_columns",
    "keep_blind_index",
]

BINDING_RE = re.compile(r"[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*")

# Operators that do not compare a value with the ciphertext: NULL tests and ordering
# modifiers (sorting by ciphertext is meaningless but harmless, and list views may ask).
_HARMLESS = {
    operators.is_,
    operators.is_not,
    operators.asc_op,
    operators.desc_op,
    operators.nulls_first_op,
    operators.nulls_last_op,
}


class EncryptedComparisonError(TypeError):
    """SQL compared an encrypted column with a value; that can never match, so it is refused."""


class _SealedComparator(TypeDecorator.Comparator[str], Text.comparator_factory):
    # "col == value" would encrypt the value with a fresh nonce and silently match nothing;
    # LIKE and search would do the same. Failing loudly points the author to blind_match.
    def operate(self, op, *other: Any, **kwargs: Any):
        self._check(op, other)
        return super().operate(op, *other, **kwargs)

    def reverse_operate(self, op, other: Any, **kwargs: Any):
        self._check(op, (other,))
        return super().reverse_operate(op, other, **kwargs)

    def _check(self, op, other: tuple) -> None:
        if op in _HARMLESS:
            return
        if op in (operators.eq, operators.ne) and other and other[0] is None:
            return
        raise EncryptedComparisonError(
            f"{self.expr.type.binding} is encrypted: SQL cannot compare or search it; "
            "use blind_match() on its blind-index column"
        )


class EncryptedString(TypeDecorator[str]):
    """Text stored as an AES-GCM token whose AAD is ``binding`` ("table.column").

    The binding is given explicitly because a type does not know the column it sits on; it
    must name that column (``check_bindings`` verifies it), so a token copied elsewhere fails
    to decrypt. None stays None; loading a token that does not open raises DecryptionError.
    """

    impl = Text
    cache_ok = True
    comparator_factory = _SealedComparator

    def __init__(self, binding: str, length: int | None = None):
        if not BINDING_RE.fullmatch(binding):
            raise ValueError(f"binding must be 'table.column', got {binding!r}")
        super().__init__()
        self.binding = binding
        #: Most characters of plaintext (None: free text). The database sees only the
        #: longer token, so the limit a String(n) column enforced is checked here, and a
        #: form converter can read it to choose a one-line field with a Length validator.
        self.length = length
        self._aad = binding.encode("ascii")

    @property
    def python_type(self) -> type:
        return str

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise TypeError(f"{self.binding} holds text, got {type(value).__name__}")
        if self.length is not None and len(value) > self.length:
            # The message gives the limit, never the value: it is personal data.
            raise ValueError(f"{self.binding} holds at most {self.length} characters")
        return crypto.encrypt(value, self._aad)

    def process_result_value(self, value: str | None, dialect) -> str | None:
        if value is None:
            return None
        try:
            return crypto.decrypt(value, self._aad)
        except crypto.DecryptionError as exc:
            # Name the column for the operator; the token and plaintext stay out of logs.
            raise crypto.DecryptionError(f"{self.binding}: {exc}") from None

    def __repr__(self) -> str:
        if self.length is None:
            return f"EncryptedString({self.binding!r})"
        return f"EncryptedString({self.binding!r}, length={self.length})"


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON document stored as one AES-GCM token bound to ``binding`` ("table.column").

    For change requests and record history, whose old and new values include phone and ID
    numbers: the whole document is sealed, so none of it is searchable in SQL (nothing
    needs to be). None stays None.
    """

    impl = Text
    cache_ok = True
    comparator_factory = _SealedComparator

    def __init__(self, binding: str):
        if not BINDING_RE.fullmatch(binding):
            raise ValueError(f"binding must be 'table.column', got {binding!r}")
        super().__init__()
        self.binding = binding
        self._aad = binding.encode("ascii")

    def process_bind_param(self, value: Any, dialect) -> str | None:
        if value is None:
            return None
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
        return crypto.encrypt(text, self._aad)

    def process_result_value(self, value: str | None, dialect) -> Any:
        if value is None:
            return None
        try:
            return json.loads(crypto.decrypt(value, self._aad))
        except crypto.DecryptionError as exc:
            raise crypto.DecryptionError(f"{self.binding}: {exc}") from None

    def __repr__(self) -> str:
        return f"EncryptedJSON({self.binding!r})"


def blind_index_column(*, index: bool = True, **kwargs: Any) -> Mapped[str | None]:
    """A nullable String(64) holding the hex HMAC of an encrypted column, indexed unless the
    table indexes it with other columns (``index=False``)."""
    return mapped_column(String(64), index=index, nullable=True, **kwargs)


def _index_or_none(value: str | None, purpose: str) -> str | None:
    if value is None or not normalise(value, purpose):
        return None
    return blind_index(value, purpose)


#: (model class, attribute key) -> (index attribute, purpose), filled by keep_blind_index.
_BLIND_INDEXES: dict[tuple[type, str], tuple[Any, str]] = {}


def blind_index_of(attr) -> tuple[Any, str] | None:
    """(index attribute, purpose) kept for the mapped attribute ``attr``, or None."""
    return _BLIND_INDEXES.get((attr.class_, attr.key))


def blind_indexes_for(model, values: dict) -> dict[str, str | None]:
    """The blind-index columns of ``model`` for the plain ``values`` (a row about to be bulk
    inserted, which ORM attribute events do not see): {"mobile_bidx": "..."}."""
    result = {}
    for (cls, key), (index_attr, purpose) in _BLIND_INDEXES.items():
        if issubclass(model, cls) and key in values:
            result[index_attr.key] = _index_or_none(values[key], purpose)
    return result


def is_encrypted(attr) -> bool:
    """True if the mapped attribute ``attr`` is stored encrypted (never compare it in SQL)."""
    columns = getattr(getattr(attr, "property", None), "columns", None)
    return bool(columns) and isinstance(columns[0].type, (EncryptedString, EncryptedJSON))


def keep_blind_index(plain_attr, index_attr, purpose: str) -> None:
    """Set ``index_attr`` whenever ``plain_attr`` is assigned (constructor, form populate, code).

    Flask-Admin's ``form.populate_obj`` assigns with setattr, which fires the attribute's
    'set' event. Bulk ``update()`` statements bypass events: recompute the index there.
    """
    if purpose not in NORMALISERS:
        raise ValueError(f"unknown blind-index purpose {purpose!r}")
    if plain_attr.class_ is not index_attr.class_:
        raise ValueError("the value and its blind index must be attributes of the same model")
    index_key = index_attr.key
    _BLIND_INDEXES[(plain_attr.class_, plain_attr.key)] = (index_attr, purpose)

    def _update_index(target, value, oldvalue, initiator) -> None:
        setattr(target, index_key, _index_or_none(value, purpose))

    event.listen(plain_attr, "set", _update_index, propagate=True)


def blind_match(index_column, value: str | None, purpose: str) -> ColumnElement[bool]:
    """``index_column == blind_index(value)``; a blank value matches nothing."""
    if value is None or not normalise(value, purpose):
        return false()
    return index_column == blind_index(value, purpose)


def encrypted_columns(metadata: MetaData) -> list:
    """Every EncryptedString column of ``metadata``, in table order (what rotation walks)."""
    return [
        column
        for table in metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, (EncryptedString, EncryptedJSON))
    ]


def check_bindings(metadata: MetaData) -> list[str]:
    """Columns whose binding does not name themselves (copy-paste slips); [] when all agree."""
    return [
        f"{column.table.name}.{column.name} is bound as {column.type.binding!r}"
        for column in encrypted_columns(metadata)
        if column.type.binding != f"{column.table.name}.{column.name}"
    ]
