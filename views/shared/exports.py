"""Exports that stream: a million rows to CSV or XLSX in flat memory, masked like the list.

Flask-Admin loads every exported row as an ORM object before writing the first byte (and
builds XLSX in memory through tablib): at 100,000 cards that is hundreds of megabytes.
Here the response starts with the file's header (no customer data); then, inside the stream,
the rows the list's search, filters, sort and scope select are read as ids, the access event
of those ids is written and committed (fail closed: no event, no row), and the rows are read
a batch at a time, written, and let go (``logged_batches``).

The fast path (issue 21, docs/performance.md "Exports at database speed") reads plain tuples
of only the exported columns, decrypts an encrypted column's raw tokens in one pass per
batch, and turns each column into cells with a function chosen once for the column: a
reference or choice label, a yes/no, is computed once per value (a reference's objects are
loaded once per id, in one query per batch), a phone or ID number is masked, every text made
formula-safe, exactly as core/masking.export_cell does for a cell. A column that is not a
plain column or a many-to-one reference (a formatter over a relation, a dotted column, a
property) is computed on the batch's records, loaded once for all such columns. The
per-row path (ORM objects a thousand at a time, each cell through the same rules) stays for
a view without a plain column, and as the reference the tests compare the fast path with.

CSV streams as it is written. XLSX is written by ``xlsx_stream``: a zip made on the fly
(Python's zipfile on a write-only sink drained after every batch) whose sheet XML is written
row by row with inline strings, so the first bytes leave at once and nothing of the file
lies on disk: no temporary file holds personal data.
"""

from __future__ import annotations

import contextvars
import csv
import io
import json
import re
import zipfile
from array import array
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from flask import Response, g
from flask.globals import request_ctx
from flask_admin.contrib.sqla import ModelView
from flask_babel.speaklater import LazyString
from sqlalchemy import (
    ARRAY,
    JSON,
    Boolean,
    Date,
    DateTime,
    Integer,
    PickleType,
    Text,
    any_,
    bindparam,
    func,
    inspect,
    literal_column,
    select,
    true,
    type_coerce,
)
from sqlalchemy import Enum as EnumType
from sqlalchemy.orm import RelationshipDirection, defer, joinedload
from sqlalchemy.sql.elements import BinaryExpression
from werkzeug.utils import secure_filename

from core import clock, crypto, masking
from extensions import db
from models.privacy.privacy import ConsentRecord
from models.types import EncryptedJSON, EncryptedString
from services.privacy import consent as consents
from views.shared.formatters import yes_no

#: Rows loaded per batch (the per-row path's ORM objects).
BATCH = 1000
#: Rows read per batch on the fast path (plain tuples; the ids go as one parameter).
FAST_BATCH = 2000
#: False forces the per-row path everywhere (tests compare the two; the bench's "slow").
FAST_PATH = True
#: Deflate level of the XLSX zip: 1 measured fastest for about the same size
#: (docs/performance.md, "Exports at database speed").
XLSX_COMPRESSLEVEL = 1


def export_ids(view) -> array:
    """Ids of the rows the current list (search, filters, sort, scope) exports, in order: a
    typed array (8 bytes an id; a list of a million ints held 38 MB)."""
    args = view._get_list_extra_args()
    sort = view._get_column_by_idx(args.sort)
    _count, query = view.get_list(
        0,
        sort[0] if sort is not None else None,
        args.sort_desc,
        args.search,
        args.filters,
        execute=False,
        page_size=view.export_max_rows,
    )
    connection = _session(view).connection()
    if view.consent_bases:
        # A customer who withdrew their consent is not exported (PIPL; services/privacy/consent.py).
        query = (
            query.limit(None)
            .filter(_not_withdrawn(view, connection.dialect.name))
            .limit(view.export_max_rows)
        )
    # The ids as the driver's tuples (no ORM row processing).
    statement = query.with_entities(view.model.id).statement
    if connection.dialect.name == "postgresql":
        # The whole list's ids cost more than jit_above_cost: at 200,000 cards compiling
        # the plan took 830 ms besides the query's 780 ms; 113 ms without JIT
        # (docs/performance.md, "Exports at database speed").
        connection.exec_driver_sql("SET LOCAL jit = off")
    # .scalars() straight into the array: as fast as the list was (partitions() took 3x).
    # Not through a server-side cursor on PostgreSQL: it made the ids 3x slower (1.5 s
    # instead of 0.4 s at 100,000 cards); psycopg2's copy of the rows (about 16 bytes an
    # id) is freed before the first batch (docs/performance.md).
    return array("q", connection.execute(statement).scalars())


def _not_withdrawn(view, dialect: str):
    """The ids query's consent rule: ``withdrawn_condition``'s, negated.

    SQLite probed the consent index twice per row for it (0.62 s of CPU for 497,263 ids at
    1,000,000 cards); as ``id NOT IN (the withdrawn subjects)`` (``withdrawn_among`` over
    all the view's subjects: the withdrawn rows from their partial index, grouped) it
    builds that short list once: 0.18 s (docs/performance.md, "Export's first byte").
    PostgreSQL already answers the per-record form with a hashed subplan over the partial
    index, and a ``NOT IN`` too large for work_mem would be run again for every row there,
    so it keeps that form."""
    if dialect == "sqlite":
        return view.model.id.not_in(consents.withdrawn_among(view.access_key, true()))
    return ~consents.withdrawn_condition(view.model, view.access_key)


def export_scope(view, *, consent: bool = True):
    """The view's rows the current user may export *now*: ``get_query``'s scope (office, a
    consultant's own cards, a region manager's region) without withdrawn consents (unless
    ``consent`` is False: the fast path applies that rule to its batch itself).

    Every batch reads through it, not only the ids query: a row moved to another office, a
    card handed to another consultant or a consent withdrawn between the ids query and its
    batch is left out (docs/performance.md, "Exports at database speed")."""
    query = view.get_query()
    if consent and view.consent_bases:
        query = query.filter(~consents.withdrawn_condition(view.model, view.access_key))
    return query


def rows_in_batches(view, ids) -> Iterator:
    """The models of ``ids`` in that order, BATCH at a time. Nothing else holds a batch once
    it is written (the session's identity map keeps unchanged objects weakly), so memory
    stays flat without expunging, which would walk every relation of every row."""
    for start in range(0, len(ids), BATCH):
        chunk = list(ids[start : start + BATCH])
        loaded = load_records(view, chunk)
        for row_id in chunk:
            row = loaded.get(row_id)
            if row is not None:
                yield row


def load_records(view, chunk: list[int]) -> dict:
    """The records of ``chunk`` by id, their many-to-one relations joined."""
    # Encrypted columns the export does not show are not loaded (nothing decrypts a note
    # nobody asked for). Measured on 100,000 cards it made no difference beyond the noise:
    # 11,201 rows/s after it against 13,286 before (docs/performance.md).
    names = {name for name, _title in view._export_columns}
    unused = [
        attr
        for attr in inspect(view.model).column_attrs
        if attr.key not in names and isinstance(attr.columns[0].type, EncryptedString)
    ]
    query = export_scope(view).filter(view.model.id.in_(chunk))
    for relation in view.after_page_relations(query):
        query = query.options(joinedload(relation))
    if unused:
        query = query.options(*(defer(getattr(view.model, attr.key)) for attr in unused))
    return {row.id: row for row in query}


class _Cells:
    """Cell values of a row, with the text of shared label objects computed once per export.

    A reference choice (来源: 到访) or a translated choice label is the same object on
    thousands of rows, and turning it into text asks Flask-Babel for the locale each time:
    a quarter of an export's time before this cache. Keys are the label's identity that
    outlives a batch: (class, primary key) for a record, the object itself for a lazy
    string (module-level, never freed).
    """

    def __init__(self, view):
        self.view = view
        self.names = [name for name, _title in view._export_columns]
        self.labels: dict = {}

    def _text(self, value):
        # People read the file: a flag as 是/否, a moment in Beijing time to the minute.
        if isinstance(value, bool):
            return yes_no(self.view, value, "")
        if isinstance(value, datetime):
            return clock.office_time(value)
        if value is None or isinstance(value, str | int | float | Decimal | date):
            return value
        key = _label_key(value)
        if key is None:
            return str(value)
        text = self.labels.get(key)
        if text is None:
            text = self.labels[key] = str(value)
        return text

    def _choice(self, row, name):
        return self.choice_label(name, getattr(row, name))

    def choice_label(self, name, raw):
        # Flask-Admin's "choices_map.get(value) or value" turns the lazy label into text
        # (through Flask-Babel) once per row just to test it; look it up once per value.
        key = ("choice", name, raw)
        if key not in self.labels:
            label = self.view._column_choices_map[name].get(raw)
            self.labels[key] = raw if label is None else str(label)
        return self.labels[key]

    def __call__(self, row) -> list:
        return [self.of(row, name) for name in self.names]

    def of(self, row, name):
        """The cell of column ``name`` of the record ``row``."""
        view = self.view
        if name in (view.column_formatters_export or {}):
            raw = ModelView.get_export_value(view, row, name)
        elif name in view._column_choices_map:
            raw = self._choice(row, name)
        else:
            # A plain attribute: what Flask-Admin's export shows, without its per-cell
            # machinery (formatter lookups, type-formatter scan), except for the
            # container types its type formatters render.
            raw = getattr(row, name, None) if "." not in name else _MISSING
            if raw is _MISSING or isinstance(raw, list | dict | Enum):
                raw = ModelView.get_export_value(view, row, name)
        return self.cell(name, raw)

    def cell(self, name, raw):
        """The cell of ``raw`` (a value, a label or a related record) in column ``name``."""
        value = masking.export_cell(name, self._text(raw))
        return "" if value is None else value


_MISSING = object()


def _label_key(value):
    if isinstance(value, LazyString):
        return ("lazy", id(value))
    identity = getattr(getattr(value, "_sa_instance_state", None), "identity_key", None)
    return identity


def _sheet_title(view) -> str:
    title = "".join(ch for ch in str(view.name or "") if ch not in "[]:*?/\\")
    return title[:31] or "1"


def _titles(view) -> list[str]:
    return [str(title) for _name, title in view._export_columns]


def _slow_batches(view, ids: Sequence[int]) -> Iterator[list[list]]:
    """The per-row path: ORM objects BATCH at a time, each cell through _Cells."""
    cells = _Cells(view)
    batch: list[list] = []
    for row in rows_in_batches(view, ids):
        batch.append(cells(row))
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _batches(view, ids: Sequence[int]) -> Iterator[list]:
    plan = fast_plan(view) if FAST_PATH else None
    if plan is None:
        return _slow_batches(view, ids)
    return plan.batches(ids)


def logged_batches(view) -> Iterator[list]:
    """The export's rows a batch at a time, read only once their look is on record.

    Runs inside the response (issue 21: the first byte under 0.5 s): the file's header
    leaves first, then the ids query runs and the access event of those ids is written and
    committed in its own transaction (``view._log_read``, fail closed) BEFORE the first
    batch is read. If the event cannot be written the exception ends the stream: the client
    has the header (no customer data) and a cut download, never a row nobody logged
    (docs/performance.md, "Export's first byte")."""
    ids = export_ids(view)
    g.audit_ids = ids
    view._log_read("export")
    yield from _batches(view, ids)


def _stream_logs_itself() -> None:
    # AccessLogMixin._run_view writes the export's event after the view returned; here the
    # stream writes it itself, before its first row (logged_batches).
    g.audit_in_stream = True


def csv_response(view) -> Response:
    titles = _titles(view)

    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        # A byte-order mark, so Excel opens the Chinese as UTF-8.
        buffer.write("\ufeff")
        writer.writerow(titles)
        yield buffer.getvalue()
        for batch in logged_batches(view):
            buffer.seek(0)
            buffer.truncate()
            writer.writerows(batch)
            yield buffer.getvalue()

    _stream_logs_itself()
    return Response(
        _in_own_context(generate()),
        headers={"Content-Disposition": _disposition(view, "csv")},
        mimetype="text/csv",
    )


def xlsx_response(view) -> Response:
    # xlsx_stream yields the package parts (no customer data) before it asks for a batch.
    stream = xlsx_stream(_sheet_title(view), _titles(view), logged_batches(view))
    _stream_logs_itself()
    return Response(
        _in_own_context(stream),
        headers={"Content-Disposition": _disposition(view, "xlsx")},
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _in_own_context(generator: Iterator) -> Iterator:
    """``generator`` run in a copy of this request's context, held in a context of its own.

    Flask's stream_with_context pushes the request's context again while the generator is
    suspended, in the caller's context: two responses streamed at once (a test client that
    leaves one unread) then pop each other's context. Here each step runs in a private
    ``contextvars`` context holding a copy of the request context (same request, g and
    session), closed with the generator."""
    private = contextvars.copy_context()
    copy = request_ctx.copy()

    def run():
        private.run(copy.push)  # at the first step: a response never read leaves nothing
        # The outer request has ended (its session removed) unless it shares an app context
        # still in use (a test's): only a session opened here is removed at the end.
        owned = not private.run(db.session.registry.has)
        try:
            while True:
                try:
                    chunk = private.run(next, generator)
                except StopIteration:
                    return
                yield chunk
        finally:
            private.run(_close, generator, copy, owned)

    return run()


def _close(generator, copy, owned: bool) -> None:
    try:
        generator.close()
    finally:
        if owned:
            db.session.remove()
        copy.pop()


def _disposition(view, export_type: str) -> str:
    return f"attachment;filename={secure_filename(view.get_export_name(export_type=export_type))}"


# --- the fast path: plain tuples, converted a column at a time ------------------------------

#: Column types whose values Flask-Admin's export renders through its type formatters (a
#: list, a dict, an enum member): such a column is computed on the record.
_OBJECT_TYPES = (ARRAY, JSON, PickleType, EnumType, EncryptedJSON)
#: Related records' labels kept per export before the cache starts again (memory stays flat
#: on a reference with as many targets as rows, e.g. a tenant per lease).
_LABELS_KEPT = 100_000


class _Column:
    """One export column: the SQL expression it reads and how a batch of its values
    becomes cells; or no expression and the column's name, for a column computed on the
    record (_Cells.of)."""

    def __init__(self, expression, convert):
        self.expression = expression
        self.convert = convert


class FastPlan:
    """How a view's export columns are read as plain values; ``None`` from fast_plan when
    one of them cannot be."""

    def __init__(self, view, columns: list[_Column]):
        self.view = view
        self.columns = columns
        self.id_column = inspect(view.model).get_property("id").columns[0]

    def statement(self, read: list[_Column], dialect: str):
        """The batch's SELECT of ``read``'s columns, its ids one parameter ``chunk``; and
        how a chunk of ids becomes that parameter.

        Each batch re-applies the scope and the consent rule (export_scope): what changed
        since the ids were read is not handed out. Loader options (get_query's joins for
        the list) are dropped: only the columns are read."""
        in_chunk, as_parameter = _id_list_condition(self.id_column, dialect)
        query = (
            export_scope(self.view, consent=False)
            .enable_eagerloads(False)
            .with_entities(self.id_column, *(column.expression for column in read))
            .filter(in_chunk)
        )
        if self.view.consent_bases:
            # The consent rule on the batch's own consent rows (the same chunk parameter).
            # PostgreSQL: from the unnested ids, so it probes the subject index per id (17 ms
            # a batch) instead of filtering every consent row by the array (60-90 ms).
            if dialect == "postgresql":
                from sqlalchemy.dialects.postgresql import ARRAY as PG_ARRAY

                listed = select(func.unnest(bindparam("chunk", type_=PG_ARRAY(Integer))))
                subjects = ConsentRecord.subject_id.in_(listed.scalar_subquery())
            else:
                subjects, _ = _id_list_condition(ConsentRecord.subject_id, dialect)
            withdrawn = consents.withdrawn_among(self.view.access_key, subjects)
            query = query.filter(self.id_column.not_in(withdrawn))
        return query.statement, as_parameter

    def batches(self, ids: Sequence[int]) -> Iterator[list[tuple]]:
        read = [column for column in self.columns if column.expression is not None]
        connection = _session(self.view).connection()
        statement, as_parameter = self.statement(read, connection.dialect.name)
        cells = _Cells(self.view)
        for start in range(0, len(ids), FAST_BATCH):
            chunk = list(ids[start : start + FAST_BATCH])
            rows = connection.execute(statement, {"chunk": as_parameter(chunk)})
            found = {row[0]: row for row in rows}
            ordered = [found[row_id] for row_id in chunk if row_id in found]
            if not ordered:
                continue
            values = iter(list(zip(*ordered, strict=True))[1:])
            records = None
            columns = []
            for column in self.columns:
                if column.expression is not None:
                    columns.append(column.convert(list(next(values))))
                    continue
                # A column computed on the record (a formatter over a relation, a
                # property): the records of this batch, loaded once for all such columns.
                if records is None:
                    records = load_records(self.view, [row[0] for row in ordered])
                name = column.convert
                columns.append(
                    [
                        cells.of(records[row[0]], name) if row[0] in records else ""
                        for row in ordered
                    ]
                )
            yield list(zip(*columns, strict=True))


def _id_list_condition(id_column, dialect: str):
    """``id IN (the chunk)`` with the chunk as ONE parameter: an array on PostgreSQL, a
    JSON list read by json_each on SQLite. An IN list of 2,000 parameters is compiled again
    for every batch (SQLAlchemy's expanding parameters: 10 ms a batch)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY as PG_ARRAY

        parameter = bindparam("chunk", type_=PG_ARRAY(Integer))
        return id_column == any_(parameter), list
    if dialect == "sqlite":
        listed = select(literal_column("value")).select_from(func.json_each(bindparam("chunk")))
        return id_column.in_(listed.scalar_subquery()), json.dumps
    return id_column.in_(bindparam("chunk", expanding=True)), list


def _session(view):
    # A view holds Flask-SQLAlchemy's extension (its .session) or a session itself.
    return getattr(view.session, "session", view.session)


def fast_plan(view) -> FastPlan | None:
    """The fast path for ``view``'s export columns, or None when one needs the ORM row."""
    mapper = inspect(view.model)
    if "id" not in mapper.column_attrs:
        return None
    formatters = view.column_formatters_export or {}
    cells = _Cells(view)
    columns = []
    for name, _title in view._export_columns:
        value_of = getattr(formatters[name], "value_of", None) if name in formatters else _MISSING
        column = None
        if "." in name or value_of is None:
            pass  # a dotted column, or a formatter that needs the record
        elif value_of is not _MISSING:
            if name in mapper.column_attrs:
                column = _formatted_column(view, cells, name, mapper.column_attrs[name], value_of)
        elif name in mapper.column_attrs:
            column = _plain_column(view, cells, name, mapper.column_attrs[name])
        elif name in mapper.relationships:
            column = _reference_column(view, cells, name, mapper.relationships[name])
        # Anything else (a property, a hybrid, a formatter needing the record) is computed on
        # the record, loaded per batch as the per-row path does.
        columns.append(column or _Column(None, name))
    if all(column.expression is None for column in columns):
        return None
    return FastPlan(view, columns)


def value_formatter(value_of):
    """A column formatter that depends on nothing but the column's own value:
    ``value_of(value)``. The fast export path reads such a column as a plain value."""

    def formatter(view, context, model, name):
        return value_of(getattr(model, name))

    formatter.value_of = value_of
    return formatter


def _formatted_column(view, cells: _Cells, name: str, attr, value_of) -> _Column | None:
    if len(attr.columns) != 1 or isinstance(
        attr.columns[0].type, _OBJECT_TYPES + (EncryptedString,)
    ):
        return None
    choices = name in view._column_choices_map

    def cell(raw):
        value = value_of(raw)
        return cells.cell(name, cells.choice_label(name, value) if choices else value)

    return _Column(attr.columns[0], _memoised(cell))


def _plain_column(view, cells: _Cells, name: str, attr) -> _Column | None:
    if len(attr.columns) != 1 or not hasattr(attr.columns[0], "table"):
        return None  # a column_property over an expression
    column = attr.columns[0]
    kind = column.type
    if isinstance(kind, _OBJECT_TYPES):
        return None
    if name in view._column_choices_map:
        # Few distinct values: the whole cell (label, masked, formula-safe) once each.
        return _Column(
            column, _memoised(lambda raw: cells.cell(name, cells.choice_label(name, raw)))
        )
    if isinstance(kind, Boolean):
        return _Column(column, _memoised(lambda raw: cells.cell(name, raw)))
    if isinstance(kind, EncryptedString):
        return _Column(type_coerce(column, Text()), _decrypting(kind, _text_cells(name)))
    if isinstance(kind, DateTime):
        # A moment in Beijing time to the minute, as text (clock.office_time).
        return _Column(column, lambda values: [clock.office_time(v) for v in values])
    if isinstance(kind, Date) and masking.kind_of(name) is None:
        return _Column(column, lambda values: ["" if v is None else v for v in values])
    try:
        python_type = kind.python_type
    except NotImplementedError:
        python_type = None
    if python_type is str:
        return _Column(column, _text_cells(name))
    if python_type in (int, float, Decimal) and masking.kind_of(name) is None:
        return _Column(column, lambda values: ["" if v is None else v for v in values])
    # Anything else: the per-cell rules on each value (still no ORM object).
    return _Column(column, lambda values: [cells.cell(name, v) for v in values])


def _memoised(cell):
    def convert(values: list) -> list:
        known: dict = {}
        out = []
        for value in values:
            text = known.get(value, _MISSING)
            if text is _MISSING:
                text = known[value] = cell(value)
            out.append(text)
        return out

    return convert


def _text_cells(name: str):
    """Text values: masked if ``name`` is a phone or ID column, then formula-safe; None
    is an empty cell (masking.export_cell's rules, the function chosen once)."""
    kind = masking.kind_of(name)
    mask = (
        None
        if kind is None
        else (masking.mask_phone if kind == "phone" else masking.mask_id_number)
    )
    starts = masking._FORMULA_START

    if mask is None:
        return lambda values: [
            "" if v is None else ("'" + v if v.startswith(starts) else v) for v in values
        ]

    def convert(values: list) -> list:
        out = []
        for value in values:
            if value is None:
                out.append("")
                continue
            text = mask(value)
            out.append("'" + text if text.startswith(starts) else text)
        return out

    return convert


def _decrypting(kind: EncryptedString, then):
    """Tokens of an encrypted column opened in one pass (the keyring called directly, as
    EncryptedString.process_result_value does per value), then ``then``."""
    aad = kind.binding.encode("ascii")

    def convert(values: list) -> list:
        decrypt = crypto.get_keyring().decrypt
        try:
            plain = [None if token is None else decrypt(token, aad) for token in values]
        except crypto.DecryptionError as exc:
            # Name the column for the operator; the token and plaintext stay out of logs.
            raise crypto.DecryptionError(f"{kind.binding}: {exc}") from None
        return then(plain)

    return convert


def _reference_column(view, cells: _Cells, name: str, relation) -> _Column | None:
    """A many-to-one reference: its foreign key read, the referenced record's label (its
    text, masked and formula-safe like any cell) computed once per id, the missing ones
    loaded in one query per batch."""
    if (
        relation.direction is not RelationshipDirection.MANYTOONE
        or relation.uselist
        or relation.secondary is not None
        or len(relation.local_remote_pairs) != 1
        or not isinstance(relation.primaryjoin, BinaryExpression)
    ):
        return None
    local, remote = relation.local_remote_pairs[0]
    target = relation.mapper
    try:
        remote_key = target.get_property_by_column(remote).key
    except Exception:  # noqa: BLE001 (an unmapped remote column: computed on the record)
        return None
    remote_attr = getattr(target.class_, remote_key)
    labels: dict = {}

    def convert(values: list) -> list:
        missing = {v for v in values if v is not None and v not in labels}
        if missing:
            if len(labels) + len(missing) > _LABELS_KEPT:
                labels.clear()
            query = _session(view).query(target.class_).filter(remote_attr.in_(missing))
            for record in query:
                labels[getattr(record, remote_key)] = cells.cell(name, record)
            for value in missing:
                labels.setdefault(value, "")  # a dangling key shows empty, as no record
        return ["" if v is None else labels[v] for v in values]

    return _Column(local, convert)


# --- XLSX written as it streams -------------------------------------------------------------

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_CONTENT_TYPES = (
    _XML + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    _XML + f'<Relationships xmlns="{_PKG_REL_NS}"><Relationship Id="rId1" '
    f'Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK_RELS = (
    _XML + f'<Relationships xmlns="{_PKG_REL_NS}">'
    f'<Relationship Id="rId1" Type="{_REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL_NS}/styles" Target="styles.xml"/></Relationships>'
)
# Style 1: a date as 2026-12-06 (what openpyxl gives a date); style 2: a moment.
_STYLES = (
    _XML + f'<styleSheet xmlns="{_MAIN_NS}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd h:mm:ss"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_SHEET_HEAD = _XML + f'<worksheet xmlns="{_MAIN_NS}"><sheetData>'
_SHEET_TAIL = "</sheetData></worksheet>"
#: What a cell's text must not hold as is: XML's markup characters and the control
#: characters XML 1.0 forbids (dropped, as a spreadsheet could not open them).
_XML_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f]")
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_EPOCH = date(1899, 12, 30)


def _xml_text(text: str) -> str:
    if _XML_SPECIAL.search(text) is None:
        return text
    text = _XML_ILLEGAL.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _letters(count: int) -> list[str]:
    out = []
    for index in range(1, count + 1):
        letters = ""
        while index:
            index, rest = divmod(index - 1, 26)
            letters = chr(65 + rest) + letters
        out.append(letters)
    return out


def _row_xml(number: int, row: Iterable, letters: list[str]) -> str:
    parts = [f'<row r="{number}">']
    append = parts.append
    for letter, value in zip(letters, row, strict=False):
        kind = type(value)
        if kind is str:
            if value:
                append(
                    f'<c r="{letter}{number}" t="inlineStr"><is><t xml:space="preserve">'
                    f"{_xml_text(value)}</t></is></c>"
                )
        elif kind is int or kind is float or kind is Decimal:
            append(f'<c r="{letter}{number}"><v>{value}</v></c>')
        elif kind is bool:
            append(f'<c r="{letter}{number}" t="b"><v>{int(value)}</v></c>')
        elif kind is date:
            append(f'<c r="{letter}{number}" s="1"><v>{(value - _EPOCH).days}</v></c>')
        elif kind is datetime:
            serial = (value - datetime(1899, 12, 30)).total_seconds() / 86400
            append(f'<c r="{letter}{number}" s="2"><v>{serial!r}</v></c>')
        elif value is not None:
            append(
                f'<c r="{letter}{number}" t="inlineStr"><is><t xml:space="preserve">'
                f"{_xml_text(str(value))}</t></is></c>"
            )
    append("</row>")
    return "".join(parts)


class _Sink:
    """A write-only file for zipfile: what is written waits here until drained."""

    def __init__(self):
        self.parts: list[bytes] = []

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def xlsx_stream(title: str, titles: list[str], batches: Iterable[list]) -> Iterator[bytes]:
    """An XLSX workbook of one sheet, yielded as it is written: the package parts first,
    then the sheet's rows a batch at a time; nothing is kept but the batch being written."""
    sink = _Sink()
    workbook = (
        _XML + f'<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}"><sheets>'
        f'<sheet name="{_xml_text(title).replace(chr(34), "&quot;")}" sheetId="1" r:id="rId1"/>'
        "</sheets></workbook>"
    )
    with zipfile.ZipFile(
        sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=XLSX_COMPRESSLEVEL
    ) as archive:
        for name, body in (
            ("[Content_Types].xml", _CONTENT_TYPES),
            ("_rels/.rels", _ROOT_RELS),
            ("xl/workbook.xml", workbook),
            ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS),
            ("xl/styles.xml", _STYLES),
        ):
            archive.writestr(name, body)
        yield sink.drain()
        letters = _letters(len(titles))
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write((_SHEET_HEAD + _row_xml(1, titles, letters)).encode("utf-8"))
            number = 2
            for batch in batches:
                chunk = []
                for row in batch:
                    chunk.append(_row_xml(number, row, letters))
                    number += 1
                sheet.write("".join(chunk).encode("utf-8"))
                yield sink.drain()
            sheet.write(_SHEET_TAIL.encode("utf-8"))
    yield sink.drain()
