"""Search people by any part of the name, its pinyin or its initials, from an index.

A Chinese office looks a customer up by a character or two of the name (伟, 王伟), by its
pinyin (wangwei, wang, wei) or by the initials typed on a phone keyboard (ww). A
``LIKE '%x%'`` cannot use an index and reads every row of a million-card table, so each
name is cut into tokens kept in ``name_search_tokens``: every run of its characters, the
pinyin from each syllable on, and the initials (with every reading of a surname such as
单 or 曾). A search term is then an exact token (Chinese) or a prefix range of tokens
(latin letters), both served by the table's primary key; so a latin or digit token that
another token of the name begins with is not kept (``tokens_of``).

Tokens follow the records through ORM events (``after_flush``); bulk loads call
``bulk_tokens``; ``rebuild`` recomputes a kind from scratch.
"""

from __future__ import annotations

import io
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable
from functools import lru_cache

from sqlalchemy import and_, delete, event, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from models.shared.name_search import TOKEN_LENGTH, NameToken

#: Model class -> kind, filled by register().
_KINDS: dict[type, str] = {}
#: Longest run of characters indexed (names are short; a company name is capped).
MAX_RUN = 12
_HAN = re.compile(r"[\u3400-\u9fff]")
_ASCII = re.compile(r"[\x00-\x7f]")
_ASCII_STRETCH = re.compile(r"[\x00-\x7f]+")


def register(model: type, kind: str) -> None:
    """Keep ``model.name`` in the index under ``kind``."""
    _KINDS[model] = kind


def kind_of(model: type) -> str | None:
    return _KINDS.get(model)


def normalise(text: str) -> str:
    """Lower case, full-width folded, spaces and punctuation dropped."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    # Most names are letters alone: kept as they are, without a pass over each character.
    return text if text.isalnum() else "".join(ch for ch in text if ch.isalnum())


# 8,192 names of about 3 KB of tokens each: a bounded 25 MB. At 65,536 the cache alone grew an
# import's memory by 240 MB at 60,000 cards (docs/import.md).
@lru_cache(maxsize=8192)
def tokens_of(name: str) -> frozenset[str]:
    """The tokens of ``name`` (cached: names repeat a lot across a million cards).

    Those a search can tell apart from the others: every token holding a character beyond
    ASCII (such a term is looked up exactly), and of the ASCII ones (a term of latin letters
    and digits is a prefix range, ``search_condition``) only those no other token of the name
    begins with. 客户12345 keeps 12345 but not 1, 12, 123, 1234, which every search that finds
    one of them finds through 12345 already: 24 rows instead of 34, the same answers
    (tests/unit/shared/test_name_tokens.py compares every term against all the tokens).

    Built without the tokens it leaves out (issue 22, fourth pass; with ``_run_pinyin``
    2.6 times faster on 2-4 character Chinese names, 1.3 times on 客户12345): of the runs
    of characters from one place, an ASCII one other than the longest is begun by the one a
    character longer, so only the longest can stay; it, and each ASCII pinyin or initials
    token, stays unless a run one character longer begins with it (it occurs in the name
    before the last character) or a longer pinyin token does (the next in sorted order). The
    same set as building every token and leaving out the ASCII ones another begins with
    (test_name_tokens.py compares the two on random names)."""
    text = normalise(name)[:TOKEN_LENGTH]
    if not text:
        return frozenset()
    length = len(text)
    spelled = sorted(_spelled_tokens(text)) if _HAN.search(text) else []
    if _ASCII.search(text) is None:
        # No ASCII character: every run is a token, only pinyin tokens can be begun by others.
        tokens = {
            text[start:end]
            for start in range(length)
            for end in range(start + 1, min(length, start + MAX_RUN) + 1)
        }
        longest: list[str] = []
    else:
        tokens, longest = _runs_with_ascii(text)
    head = text[:-1]
    for token in (*spelled, *longest):
        if token.isascii():
            if len(token) < MAX_RUN and token in head:
                continue  # the run one character longer begins with it
            after = bisect_right(spelled, token)
            if after < len(spelled) and spelled[after].startswith(token):
                continue  # a longer pinyin token begins with it
        tokens.add(token)
    return frozenset(tokens)


def _runs_with_ascii(text: str) -> tuple[set[str], list[str]]:
    """The runs of ``text`` kept whatever else the name holds (those with a character beyond
    ASCII), and the longest run from each place where every run from there is ASCII (kept
    unless a longer token begins with it). The other ASCII runs are each begun by the run one
    character longer from the same place, so none of them is kept."""
    length = len(text)
    tokens: set[str] = set()
    longest: list[str] = []
    done = 0
    for stretch in _ASCII_STRETCH.finditer(text):
        first, wide = stretch.span()  # wide: where the next character beyond ASCII is
        tokens.update(
            text[start:end]
            for start in range(done, first)
            for end in range(start + 1, min(length, start + MAX_RUN) + 1)
        )
        for start in range(first, wide):
            stop = min(length, start + MAX_RUN)
            if wide >= stop:
                longest.append(text[start:stop])
            else:
                tokens.update(text[start:end] for end in range(wide + 1, stop + 1))
        done = wide
    tokens.update(
        text[start:end]
        for start in range(done, length)
        for end in range(start + 1, min(length, start + MAX_RUN) + 1)
    )
    return tokens, longest


def _spelled_tokens(text: str) -> set[str]:
    """The pinyin and initials tokens of a name holding a Chinese character."""
    syllables = _syllables(text)
    initials = [s[0] for s in syllables if s]
    # Every reading of the first character: 单 is shan as a surname, 曾 is zeng.
    readings = set(_readings(text[0]))
    readings.add(syllables[0])
    rest, rest_initials = "".join(syllables[1:]), "".join(initials[1:])
    tokens: set[str] = set()
    for reading in readings:
        tokens.add((reading + rest)[:TOKEN_LENGTH])
        tokens.add((reading[0] + rest_initials)[:TOKEN_LENGTH])
    # The pinyin and initials from each later syllable on: "wei" and "w" find 王伟.
    for start in range(1, len(syllables)):
        tokens.add("".join(syllables[start:])[:TOKEN_LENGTH])
        tokens.add("".join(initials[start:])[:TOKEN_LENGTH])
    tokens.discard("")
    return tokens


def exact_token(term: str) -> str | None:
    """The token a Chinese (or any non-latin) term is looked up as, exactly; None for latin
    letters and digits, which are a prefix range of tokens."""
    text = normalise(term)[:TOKEN_LENGTH]
    if text and (_HAN.search(text) or not text.isascii()):
        return text
    return None


def newest_first_join(model: type, term: str):
    """The ON clause joining ``model`` to the index rows of ``term`` when the term is one
    exact token, else None. Within one token the index (kind, token, record_id) holds the
    records in id order, so a list ordered by the token's ``record_id`` descending walks the
    index backwards and stops at the page: the newest 20 of 30,000 matches without building
    the set of all of them first, which ``id IN (...)`` does. One exact token is one row a
    record, so the join repeats no record."""
    token = exact_token(term)
    if token is None:
        return None
    return and_(
        NameToken.kind == _KINDS[model], NameToken.token == token, NameToken.record_id == model.id
    )


def _syllables(text: str) -> list[str]:
    """``lazy_pinyin(text)``, its Chinese runs' pinyin cached: pypinyin cuts a text into runs
    of Chinese characters and runs of anything else (kept as they are) and reads each run on
    its own, so 王伟 of 王伟2 is read once for every name it begins."""
    split, is_han = _han_runs()
    syllables: list[str] = []
    for piece in split(text):
        if not piece:
            continue
        if is_han(piece):
            syllables.extend(_run_pinyin(piece))
        else:
            syllables.append(piece)
    return syllables


@lru_cache(maxsize=1)
def _han_runs():
    """A split of a text into runs of pypinyin's Chinese characters and the runs between
    (as its ``simple_seg``, by one regex), or ``simple_seg`` itself should pypinyin's
    pattern change shape; and pypinyin's test of a Chinese run."""
    # pypinyin is imported when a name is first read: its dictionaries hold 56 MB, which
    # every process paid at start for nothing (docs/performance.md, "Exports at database speed").
    from pypinyin.constants import RE_HANS
    from pypinyin.seg.simpleseg import simple_seg

    pattern = RE_HANS.pattern
    if pattern.startswith("^(?:[") and pattern.endswith("])+$"):
        return re.compile(f"({pattern[4:-3]}+)").split, RE_HANS.match
    return simple_seg, RE_HANS.match


@lru_cache(maxsize=8192)
def _run_pinyin(run: str) -> tuple[str, ...]:
    """``lazy_pinyin(run)`` by its words: pypinyin cuts a Chinese run into words (its
    phrase dictionary, longest first) and reads each word on its own, so the reading of
    each word is cached. A name's run is seldom met twice (16,000 distinct among 18,000
    realistic names) but its words are: 王, 伟, 建国. Handing lazy_pinyin a list of words
    reads each as it is, uncut. Reading each run whole (a converter built, every syllable's
    tone marks turned into letters) was 70% of tokens_of's time on Chinese names."""
    from pypinyin.constants import PHRASES_DICT
    from pypinyin.seg.mmseg import seg

    # As pypinyin's simpleseg.seg cuts a Chinese run (by its phrases, when it has them).
    words = list(seg.cut(run)) if PHRASES_DICT else [run]
    if len(words) == 1:
        return _word_pinyin(words[0])
    return tuple(syllable for word in words for syllable in _word_pinyin(word))


@lru_cache(maxsize=16384)
def _word_pinyin(word: str) -> tuple[str, ...]:
    from pypinyin import lazy_pinyin

    return tuple(lazy_pinyin([word]))


@lru_cache(maxsize=8192)
def _readings(character: str) -> tuple[str, ...]:
    from pypinyin import Style, pinyin

    return tuple(r for r in pinyin(character, heteronym=True, style=Style.NORMAL)[0] if r)


def search_condition(model: type, term: str):
    """``model.id IN (ids whose tokens match term)``; None when the term has no letters."""
    kind = _KINDS[model]
    text = normalise(term)[:TOKEN_LENGTH]
    if not text:
        return None
    if exact_token(text) is not None:
        match = NameToken.token == text
    else:
        # Latin letters and digits: a prefix of a pinyin, initials or latin-name token.
        match = and_(NameToken.token >= text, NameToken.token < _next_prefix(text))
    ids = select(NameToken.record_id).where(NameToken.kind == kind, match)
    return model.id.in_(ids)


def _next_prefix(text: str) -> str:
    """The smallest string greater than every string starting with ``text``."""
    return text[:-1] + chr(ord(text[-1]) + 1)


def rows_for(kind: str, pairs: Iterable[tuple[int, str]]) -> list[dict]:
    """Token rows for (record id, name) pairs."""
    return [
        {"kind": kind, "token": token, "record_id": record_id}
        for record_id, name in pairs
        for token in tokens_of(name or "")
    ]


def bulk_tokens(session_or_conn, kind: str, pairs: Iterable[tuple[int, str]]) -> int:
    """Insert the tokens of new records (a bulk load that bypassed the ORM), in the caller's
    transaction: on PostgreSQL by COPY, on SQLite by the driver's executemany (an import
    writes some 10-30 tokens per name: statements built per row cost more than the rows)."""
    rows = token_rows(kind, pairs)
    if rows:
        conn = session_or_conn
        if not isinstance(conn, Connection):  # a session (or a scoped one)
            conn = conn.connection()
        _insert_tokens(conn, rows)
    return len(rows)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def token_rows(kind: str, pairs: Iterable[tuple[int, str]]) -> list[tuple[str, str, int]]:
    """(kind, token, record id) of every token of the (record id, name) pairs."""
    return [
        (kind, token, record_id) for record_id, name in pairs for token in tokens_of(name or "")
    ]


def copy_payload(rows: list[tuple[str, str, int]]) -> tuple[str, str]:
    """The COPY statement and text (PostgreSQL's text format) that insert ``rows``. Tokens
    are letters and digits (normalise), escaped all the same as the format wants."""
    text = "".join(
        f"{k}\t{t if t.isalnum() else t.translate(_COPY_ESCAPES)}\t{i}\n" for k, t, i in rows
    )
    return f"COPY {NameToken.__table__.name} (kind, token, record_id) FROM STDIN", text


def _insert_tokens(conn, rows: list[tuple[str, str, int]]) -> None:
    table = NameToken.__table__
    dialect = conn.dialect
    if dialect.name == "postgresql" and dialect.driver == "psycopg2":
        # COPY in the transaction's own connection.
        statement, text = copy_payload(rows)
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            cursor.copy_expert(statement, io.StringIO(text))
        finally:
            cursor.close()
    elif dialect.name == "sqlite":
        conn.exec_driver_sql(
            f"INSERT INTO {table.name} (kind, token, record_id) VALUES (?, ?, ?)",  # noqa: S608 (the table's own name)
            rows,
        )
    else:
        conn.execute(
            insert(NameToken), [{"kind": k, "token": t, "record_id": i} for k, t, i in rows]
        )


def rebuild(session: Session, model: type, batch: int = 5000) -> int:
    """Recompute every token of ``model``; returns the number of rows written."""
    kind = _KINDS[model]
    session.execute(delete(NameToken).where(NameToken.kind == kind))
    written, last_id = 0, 0
    while True:
        pairs = session.execute(
            select(model.id, model.name).where(model.id > last_id).order_by(model.id).limit(batch)
        ).all()
        if not pairs:
            return written
        written += bulk_tokens(session, kind, pairs)
        last_id = pairs[-1][0]


@event.listens_for(Session, "after_flush")
def _keep_tokens(session: Session, flush_context) -> None:
    # In the flush's transaction: a record and its tokens are written, or neither.
    changed: dict[str, list] = {}
    removed: dict[str, list[int]] = {}
    for obj in session.new | session.dirty:
        kind = _KINDS.get(type(obj))
        if kind is None:
            continue
        if obj in session.dirty and not _name_changed(obj):
            continue
        changed.setdefault(kind, []).append((obj.id, obj.name))
    for obj in session.deleted:
        kind = _KINDS.get(type(obj))
        if kind is not None:
            removed.setdefault(kind, []).append(obj.id)
    if not changed and not removed:
        return
    conn = session.connection()
    for kind, pairs in changed.items():
        ids = [record_id for record_id, _name in pairs]
        stale = [i for i in ids if i is not None]
        if stale:
            conn.execute(
                delete(NameToken).where(NameToken.kind == kind, NameToken.record_id.in_(stale))
            )
        bulk_tokens(conn, kind, pairs)
    for kind, ids in removed.items():
        conn.execute(delete(NameToken).where(NameToken.kind == kind, NameToken.record_id.in_(ids)))


def _name_changed(obj) -> bool:
    from sqlalchemy import inspect

    history = inspect(obj).attrs.name.history
    return bool(history.added or history.deleted)


def _register_people() -> None:
    from models.property.property import Owner, Tenant
    from models.sales.prospects import Prospect

    register(Prospect, "prospect")
    register(Owner, "owner")
    register(Tenant, "tenant")


_register_people()
