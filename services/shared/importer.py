"""Excel import of welcome cards and owner lists: map the columns, check every row, import
all or nothing.

Offices keep years of welcome cards in Excel. A file is read row by row (openpyxl read-only
mode: the sheet is never held in memory) twice: once to check every row and count what is
wrong, once to insert, in chunks, inside ONE transaction, so a file either goes in whole (or
whole minus the rows the user chose to skip) or not at all.

Checks per row: a name; a valid mainland mobile or landline; a grade A-D; a source channel
and project that exist in the reference lists (by label or code); a date; the phone not
already on another card (in the database or earlier in the file).
"""

from __future__ import annotations

import contextlib
import io
import math
import queue
import sqlite3
import threading
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _
from openpyxl import Workbook
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Integer,
    Time,
    TypeDecorator,
    bindparam,
    column,
    delete,
    false,
    func,
    insert,
    select,
    true,
    update,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import values as values_table
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.pool import SingletonThreadPool, StaticPool
from stdnum.exceptions import ValidationError as StdnumError

from core import crypto
from core.clock import office_today
from core.masking import mask
from core.phones import LANDLINE_RE, is_mobile, normalise_phone
from models.admin.offices import account_office_id, default_office_id, project_office_id
from models.admin.people import User
from models.admin.reference import ReferenceItem, ReferenceList
from models.base import utcnow
from models.privacy.privacy import ConsentRecord
from models.property.property import Owner
from models.sales.prospects import GRADES, Prospect, Visit
from models.types import EncryptedString, blind_index_of, blind_indexes_for
from services.admin.offices import office_clause, visible_office_ids
from services.privacy import audit
from services.shared import (
    batch_gc,
    checked_rows,
    dates_typed,
    id_numbers,
    import_statistics,
    name_search,
    sheet_reader,
)
from services.shared.sheet_reader import ImportFileError, Layout
from services.shared.workbook_limits import ImportLimits

#: The sales rules on who may be named a card's consultant (services.sales.consultants: its
#: ``consultants(session, seen_by=)`` and ``default_consultant(user)``), set by
#: services/sales/import_cards.py. The engine may not import sales rules itself: the dealer
#: and archive kinds build on it, and those desks stand apart from sales (pyproject.toml).
consultant_rules = None


def _consultant_rules():
    if consultant_rules is None:
        raise RuntimeError("services.shared.import_kinds was not imported: no consultant rules")
    return consultant_rules


#: Rows inserted (and logged) per statement.
CHUNK = 1000
#: Characters kept of a free-text cell.
NOTES_MAX = 2000
#: Values of one field whose check outcome a RowChecker remembers (memory stays bounded).
MEMO_MAX = 4096


def _memo_key(raw):
    """A cell's key in a checker's memory: by type too (1, 1.0 and True are one dict key but
    not one cell), and -0.0 apart from 0.0 (equal, but a message shows the cell as typed)."""
    kind = raw.__class__
    if kind is str:
        return raw
    if kind is float and raw == 0.0:
        return (kind, raw, math.copysign(1.0, raw))
    return (kind, raw)


#: The column of a field the mapping leaves out: past any row's end, so its cell is blank.
_NO_COLUMN = 1 << 62
#: Not yet in a RowChecker's memory (None is a remembered outcome there).
_UNSEEN = object()


@dataclass(frozen=True)
class Kind:
    """What one import kind makes: its model, fields with the titles offices use for them,
    each field's check, the reference list of reference fields, and fixed values."""

    model: type
    record_type: str
    fields: dict[str, tuple[str, ...]]
    checks: dict[str, str]
    references: dict[str, str]
    fixed: dict
    #: Fields whose value may be on one record only (duplicate check).
    unique: tuple[str, ...]
    #: Bases a record of the kind may be kept on (PIPL), as on its create form.
    consent_bases: tuple[str, ...] = ("consent",)
    #: A later row of the same customer (same name and mobile, later date) is a reception of
    #: the card of the first row, not a duplicate (welcome cards).
    visit_rows: bool = False
    #: The RowChecker subclass of a kind that checks more than one record per row.
    checker: type | None = None
    #: Whether the import of a kind with its own ``checker`` may take the check pass's rows
    #: (``_reuses_check``): only when the checker's row checks read nothing of the database
    #: but what ``RowChecker.depends_on`` names, and its ``mark_existing`` (run again by the
    #: import) finds every link afresh.
    reuses_check: bool = False
    #: How a kind that makes several records per row writes the checked rows: a Writer
    #: class, made with (session, user); None: one record of ``model`` per row.
    writer: type | None = None
    #: Fields the kind cannot do without (the mapping page asks for them).
    required: tuple[str, ...] = ("name",)
    #: The names of the kind's own fields ({field: label}, translated when called).
    labels: Callable[[], dict[str, str]] | None = None


#: Columns of the later receptions of a welcome card: "第二次来访" ... "第六次来访".
LATER_VISITS = {
    f"visit_{n}": (
        f"第{cn}次来访",
        f"第{cn}次来访日期",
        f"第{cn}次到访",
        f"{cn}访",
        f"{cn}访日期",
        f"visit {n}",
        f"{ordinal} visit",
    )
    for n, cn, ordinal in (
        (2, "二", "second"),
        (3, "三", "third"),
        (4, "四", "fourth"),
        (5, "五", "fifth"),
        (6, "六", "sixth"),
    )
}
#: The welcome card's standard entries: {field: (reference list, titles offices use)}.
CARD_LISTS = {
    "purpose": ("purpose", ("购房用途", "购房目的", "置业目的", "用途", "purpose")),
    "timeframe": ("timeframe", ("购房周期", "购房时间", "timeframe")),
    "unit_nature": (
        "unit_nature",
        ("单位性质", "工作单位性质", "employer type", "unit nature"),
    ),
    "age_band": ("age_band", ("年龄段", "年龄", "age band", "age")),
    "housing": (
        "housing",
        ("住房性质", "现居住房", "居住状况", "现住房", "current housing", "housing"),
    ),
    "awareness": (
        "awareness",
        ("认知途径", "获知渠道", "了解途径", "媒体渠道", "awareness channel", "awareness"),
    ),
    "area_band": ("area_band", ("意向面积", "需求面积", "面积", "intended area", "area")),
    "price_band": (
        "price_band",
        ("可接受单价", "接受单价", "单价", "accepted price", "price"),
    ),
    "income_band": (
        "income_band",
        ("家庭月收入", "月收入", "家庭收入", "household monthly income", "household income"),
    ),
    "customer_type": ("customer_type", ("客户类型", "客户类别", "customer type")),
    "need": ("need", ("需求类型", "购房需求", "需求", "need")),
    "district": ("district", ("意向区域", "区域", "intended district", "district")),
}
#: Progress tags as offices write them.
PROGRESS_WORDS = {
    "follow_up": ("follow_up", "to follow up", "follow up", "跟进", "待跟进", "跟进中"),
    "viewed": ("viewed", "已看房", "看房", "已看"),
    "signed": ("signed", "已签约", "签约", "成交", "已成交"),
}
#: Yes/no as offices write it (the scout mark).
YES_WORDS = ("是", "y", "yes", "true", "1", "√", "✓", "踩盘")
NO_WORDS = ("否", "n", "no", "false", "0", "×", "x", "")


KINDS: dict[str, Kind] = {
    "prospect": Kind(
        model=Prospect,
        record_type="prospect",
        fields={
            "name": ("姓名", "客户姓名", "客户", "name", "customer"),
            "mobile": ("手机", "手机号", "手机号码", "移动电话", "mobile", "cell"),
            "landline": ("座机", "固定电话", "电话", "landline", "phone"),
            "grade": ("等级", "客户等级", "意向等级", "grade"),
            "source": ("来源", "来源渠道", "获知途径", "source", "channel"),
            "project": ("意向项目", "项目", "楼盘", "project"),
            "budget_wan": ("预算", "购房预算", "预算(万元)", "预算（万元）", "budget"),
            **{target: titles for target, (_list, titles) in CARD_LISTS.items()},
            "consultant": ("置业顾问", "顾问", "销售顾问", "接待顾问", "consultant"),
            "progress": ("进度", "购房进度", "跟进状态", "状态", "progress"),
            "is_scout": ("踩盘", "是否踩盘", "同行踩盘", "scout", "competitor's scout"),
            "first_visit_on": (
                "来访日期",
                "首次来访",
                "首次来访日期",
                "第一次来访",
                "日期",
                "first visit",
                "date",
            ),
            **LATER_VISITS,
            "notes": ("备注", "说明", "notes", "remarks"),
        },
        checks={
            "name": "name",
            "mobile": "mobile",
            "landline": "landline",
            "grade": "grade",
            "source": "reference",
            "project": "reference",
            "budget_wan": "budget",
            **{target: "reference" for target in CARD_LISTS},
            "consultant": "consultant",
            "progress": "progress",
            "is_scout": "yes_no",
            "first_visit_on": "visit_date",
            **{target: "later_visit" for target in LATER_VISITS},
            "notes": "text",
        },
        references={
            "source": "source_channel",
            "project": "project",
            **{target: code for target, (code, _titles) in CARD_LISTS.items()},
        },
        fixed={"progress": "follow_up", "is_scout": False},
        unique=("mobile",),
        visit_rows=True,
    ),
    "owner": Kind(
        model=Owner,
        record_type="owner",
        fields={
            "name": ("姓名", "业主姓名", "业主", "name", "owner"),
            "mobile": ("手机", "手机号", "手机号码", "移动电话", "mobile", "cell"),
            "landline": ("座机", "固定电话", "电话", "landline", "phone"),
            "id_number": ("身份证号", "身份证号码", "身份证", "证件号码", "id number", "id"),
            "address": ("地址", "联系地址", "通讯地址", "address"),
            "notes": ("备注", "说明", "notes", "remarks"),
        },
        checks={
            "name": "name",
            "mobile": "mobile",
            "landline": "landline",
            "id_number": "id_number",
            "address": "text200",
            "notes": "text",
        },
        references={},
        fixed={},
        unique=("mobile", "id_number"),
        consent_bases=("contract", "consent"),
    ),
}
#: The welcome-card fields (kept for callers that import cards only).
FIELDS = KINDS["prospect"].fields
REQUIRED = ("name",)


@dataclass
class RowResult:
    row_number: int
    values: tuple
    errors: list[str] = field(default_factory=list)
    record: dict | None = None


@dataclass
class Report:
    """What a check pass found."""

    headers: list[str]
    total: int = 0
    valid: int = 0
    rejected: list[RowResult] = field(default_factory=list)

    @property
    def rejected_count(self) -> int:
        return len(self.rejected)


# --- reading ----------------------------------------------------------------------------
def open_rows(
    path: Path | BinaryIO,
    limits: ImportLimits | None = None,
    *,
    kind: str = "prospect",
    layout: Layout | dict | None = None,
) -> tuple[list[str], Iterator[tuple[int, tuple]]]:
    """The title row and an iterator of (row number as in Excel, values) of the rows below it,
    of the sheet ``layout`` names (else the one found: services/shared/sheet_reader.py).

    The zip is inspected before openpyxl opens it (services/shared/workbook_limits.py), and the
    rows stop at the row cap, the column cap and the time limit: a bomb is refused with a
    message (ImportFileError), never read to its end."""
    table = open_table(path, limits, kind=kind, layout=layout, whole=True)
    return table.headers, table.rows


def open_table(
    path: Path | BinaryIO,
    limits: ImportLimits | None = None,
    *,
    kind: str = "prospect",
    layout: Layout | dict | None = None,
    whole: bool = False,
) -> sheet_reader.Table:
    """The sheet as ``open_rows`` reads it, with its sheets and title-row choices (the
    preview offers them); ``close()`` it when the rows are not read to their end. ``whole``:
    every row will be read (sheet_reader.open_table)."""
    return sheet_reader.open_table(
        path, limits or ImportLimits.current(), known_titles(kind), layout, whole=whole
    )


def known_titles(kind: str = "prospect") -> frozenset[str]:
    """The column titles of the kind's fields, as the reader matches them."""
    return frozenset(
        sheet_reader.title_key(alias)
        for aliases in KINDS[kind].fields.values()
        for alias in aliases
    )


def guess_mapping(headers: list[str], kind: str = "prospect") -> dict[str, int]:
    """{field: column index} from the titles, by the aliases of the kind's fields."""
    mapping: dict[str, int] = {}
    normalised = [_plain(h) for h in headers]
    for target, aliases in KINDS[kind].fields.items():
        for alias in aliases:
            if _plain(alias) in normalised:
                index = normalised.index(_plain(alias))
                if index not in mapping.values():
                    mapping[target] = index
                    break
    return mapping


# --- checking ---------------------------------------------------------------------------
class RowChecker:
    """Checks rows one by one; keeps the unique values seen so far to find duplicates in the
    file itself."""

    def __init__(
        self,
        session: Session,
        mapping: dict[str, int],
        kind: str = "prospect",
        user: User | None = None,
    ):
        self.session = session
        self.mapping = mapping
        self.kind = KINDS[kind]
        self.kind_name = kind
        #: Whose offices' records a row may duplicate (None: the whole group's).
        self.user = user
        self.references = {
            name: _reference_index(session, code) for name, code in self.kind.references.items()
        }
        self._list_labels: dict[str, str] = {}
        #: {cell value: its date or None} (``_day_of``).
        self._days: dict = {}
        self.consultants = (
            _consultant_index(session, user) if "consultant" in self.kind.checks.values() else {}
        )
        self.seen: dict[tuple[str, str], int] = {}
        #: Welcome cards: {row of a card: (name, date of its latest reception so far)}.
        self.cards: dict[int, tuple[str, date | None]] = {}
        #: Rows found wrong so far (a later reception of a wrong card is wrong too).
        self.wrong: set[int] = set()
        #: Those of ``wrong`` the row checks refused (``check``), not the look-ups on record
        #: (``mark_existing``): what ``check`` itself may go by, as the rows a check pass keeps
        #: for the import (those refused are kept as None) hold only what ``check`` found.
        self.refused: set[int] = set()
        #: {(purpose, value): blind index} of the last chunk's duplicates look-up
        #: (``existing_values``), which the import's rows take again (``_RowIndexes``).
        self.blind: dict[tuple[str, str], str] = {}

    def depends_on(self) -> tuple:
        """What the row checks of a kind's own checker read besides the file, the reference
        lists and the consultants (``_check_print``): a kind that ``reuses_check`` names it
        here, so that a change since the check makes the import check the file again."""
        return ()

    def _cell(self, values: tuple, target: str):
        index = self.mapping.get(target)
        if index is None or index >= len(values):
            return None
        value = values[index]
        if isinstance(value, str):
            value = value.strip()
        return None if value == "" else value

    def check(self, row_number: int, values: tuple) -> RowResult:
        result = RowResult(row_number, values)
        record = self.fields(values, result.errors)
        for target in self.kind.unique:
            value = record.get(target)
            if not value:
                continue
            earlier = self.seen.get((target, value))
            if earlier is not None and self.kind.visit_rows and target == "mobile":
                visit = self._later_reception(earlier, record, result.errors)
                if visit is not None:
                    record = visit
                    continue
            if earlier is not None:
                result.errors.append(
                    _(
                        "Same %(what)s as row %(row)s of this file.",
                        what=_field_label(target),
                        row=earlier,
                    )
                )
            else:
                self.seen[(target, value)] = row_number
                if self.kind.visit_rows:
                    self.cards[row_number] = (record.get("name"), _latest_visit(record))
        if result.errors:
            self.wrong.add(row_number)
            self.refused.add(row_number)
        result.record = None if result.errors else record
        return result

    def fields(self, values: tuple, errors: list[str]) -> dict:
        """The clean values of the row's cells; what is wrong goes to ``errors``."""
        record: dict = {}
        plan = getattr(self, "_plan", None)
        if plan is None:
            plan = self._plan = self._field_plan()
            self._together = self._together_plan(plan)
        width = len(values)
        together = self._together
        key = None
        if together is not None:
            # The remembered fields' cells of the row, all at once: a file's rows mostly
            # repeat them together (a grade, a source, a budget ... the same), so the values
            # they all store are looked up once a row, not once a field (by type too).
            columns, outcomes, rest = together
            cells = tuple([values[index] if index < width else None for index in columns])
            key = (cells, tuple(map(type, cells)))
            if 0.0 in cells:  # -0.0 equals 0.0: the signs of zeros kept apart (_memo_key)
                key = (
                    key,
                    tuple(math.copysign(1.0, c) if c.__class__ is float else 0 for c in cells),
                )
            stored_together = outcomes.get(key)
            if stored_together is not None:
                for target, index, method, memo, blank in rest:
                    if memo is not None:  # where the first of them stood
                        record.update(stored_together)
                        continue
                    raw = values[index] if index < width else None
                    if isinstance(raw, str):
                        raw = raw.strip() or None
                    if raw is None:
                        if blank is not None:
                            errors.append(_missing(blank, target))
                        continue
                    error = method(target, raw, record)
                    if error:
                        errors.append(error)
                return record
        # the remembered fields' stored values, and whether any of them was wrong or missing
        gathered: dict = {}
        remembered_wrong = False
        for target, index, method, memo, blank in plan:
            # as _cell: a cell stripped, an empty one None
            raw = values[index] if index < width else None
            if isinstance(raw, str):
                raw = raw.strip() or None
            if raw is None:
                if blank is not None:
                    errors.append(_missing(blank, target))
                    remembered_wrong = remembered_wrong or memo is not None
                continue
            if memo is not None:
                # A list's label, a grade, a yes/no: a few values over and over, checked once
                # each (by type too: 1, 1.0 and True are one dict key but not one cell).
                found = memo.get(_memo_key(raw))
                if found is None:
                    found = self._remember(memo, target, raw, method)
                error, stored = found
                if stored:
                    record.update(stored)
                    gathered.update(stored)
                remembered_wrong = remembered_wrong or bool(error)
            else:
                error = method(target, raw, record)
            if error:
                errors.append(error)
        if key is not None and not remembered_wrong and len(together[1]) < MEMO_MAX:
            together[1][key] = gathered
        return record

    def _together_plan(self, plan: list[tuple]) -> tuple | None:
        """For ``fields``: the columns of the remembered fields, their stored values by those
        cells (when none of them was wrong or missing), and the plan with the remembered
        fields as one step where the first of them stood; None with fewer than two such
        fields, or for a checker of a kind of its own (whose other checks may read what they
        store)."""
        if type(self) is not RowChecker:
            return None
        remembered = [step for step in plan if step[3] is not None]
        if len(remembered) < 2:
            return None
        rest, placed = [], False
        for step in plan:
            if step[3] is None:
                rest.append(step)
            elif not placed:
                rest.append(step)
                placed = True
        return [step[1] for step in remembered], {}, rest

    def _field_plan(self) -> list[tuple]:
        """Each field's column and check, looked up once, not once per row: (target, column
        (_NO_COLUMN: none), check, its outcomes by value (None: not remembered), what a blank
        cell says ("name", "required" or None)). A field without a column that may be blank
        is left out: it never holds a value nor makes an error."""
        plan = []
        for target, check in self.kind.checks.items():
            index = self.mapping.get(target)
            blank = "name" if check == "name" else None
            if blank is None and target in self.kind.required:
                blank = "required"
            if index is None and blank is None:
                continue
            name = f"_check_{check}"
            method = getattr(self, name, None) or (lambda *a, name=name: getattr(self, name)(*a))
            memo = {} if self._memoised(check) else None
            plan.append((target, _NO_COLUMN if index is None else index, method, memo, blank))
        return plan

    @staticmethod
    def _remember(memo: dict, target: str, raw, method) -> tuple[str | None, dict]:
        """The outcome of a pure check of ``raw`` (its error, the values it stores), kept in
        ``memo`` while it holds fewer than MEMO_MAX."""
        stored: dict = {}
        found = (method(target, raw, stored), stored)
        if len(memo) < MEMO_MAX:
            memo[_memo_key(raw)] = found
        return found

    #: Checks whose outcome depends on the cell's value alone (no state, nothing mutable
    #: stored): their outcomes are remembered per value (``fields``).
    PURE_CHECKS = ("reference", "grade", "progress", "yes_no", "budget", "consultant")
    #: A subclass's own checks that are pure as well (the cell's value alone, or with what
    #: the checker read once at its start), named by the class that defines them.
    OWN_PURE_CHECKS: tuple[str, ...] = ()

    def _memoised(self, check: str) -> bool:
        name = f"_check_{check}"
        for cls in type(self).__mro__:
            if name in vars(cls):
                # the version this checker runs is pure if the class defining it says so
                if cls is RowChecker:
                    return check in self.PURE_CHECKS
                return check in vars(cls).get("OWN_PURE_CHECKS", ())
        return False

    def _later_reception(self, card_row: int, record: dict, errors: list[str]) -> dict | None:
        """A row of the customer of an earlier row (same name and mobile) with a later date:
        a reception of that card ({"visit_of": row, ...}); None when it is a duplicate."""
        name, latest = self.cards.get(card_row, (None, None))
        day = record.get("first_visit_on")
        if name != record.get("name") or day is None or latest is None or day <= latest:
            return None
        self.cards[card_row] = (name, _latest_visit(record))
        # A card refused on record (a duplicate) refuses its receptions in mark_existing.
        if card_row in self.refused:
            errors.append(
                _("Row %(row)s of this customer is rejected: fix it first.", row=card_row)
            )
        return {
            "visit_of": card_row,
            "mobile": record["mobile"],
            "visits": record.get("visits") or [day],
            "summary": record.get("notes"),
            "consultant_id": record.get("consultant_id"),
        }

    # Each check stores the clean value in ``record`` or returns the message of what is wrong.
    def _check_name(self, target, raw, record):
        if len(str(raw)) > 50:
            return _("Name is longer than 50 characters.")
        record[target] = str(raw)
        return None

    def _check_mobile(self, target, raw, record):
        text = _text_of_number(raw)
        # 11 ASCII digits, as most cells hold: what normalise_phone would return unchanged
        plain = len(text) == 11 and text.isascii() and text.isdigit()
        phone = text if plain else normalise_phone(text)
        if phone is None or not is_mobile(phone):
            return _("Bad mobile number: %(value)s", value=raw)
        record[target] = phone
        return None

    def _check_landline(self, target, raw, record):
        phone = normalise_phone(_text_of_number(raw))
        if phone is None or not LANDLINE_RE.fullmatch(phone):
            return _("Bad landline: %(value)s", value=raw)
        record[target] = phone
        return None

    def _check_id_number(self, target, raw, record):
        try:
            record[target] = id_numbers.validate(_text_of_number(raw).strip().upper())
        # KeyError: python-stdnum fails so on a place code it knows without a county.
        except (StdnumError, KeyError):
            return _(
                "Bad ID number (check the digits and the last character): %(value)s", value=raw
            )
        return None

    def _check_grade(self, target, raw, record):
        grade = str(raw).upper()
        if grade not in GRADES:
            return _("Grade must be A, B, C or D, not %(value)s.", value=grade)
        record[target] = grade
        return None

    def _check_reference(self, target, raw, record):
        item_id = self.references[target].get(_reference_key(_text_of_number(raw)))
        if item_id is None:
            labels = self._labels_of(target)
            if not labels:
                return _("Unknown %(what)s: %(value)s", what=_field_label(target), value=raw)
            return _(
                "Unknown %(what)s: %(value)s (the list holds: %(labels)s)",
                what=_field_label(target),
                value=raw,
                labels=labels,
            )
        record[f"{target}_id"] = item_id
        return None

    def _labels_of(self, target: str) -> str:
        """The labels of a reference list, for the message of a row that names none."""
        if target not in self._list_labels:
            labels = self.session.scalars(
                select(ReferenceItem.label)
                .join(ReferenceList)
                .where(
                    ReferenceList.code == self.kind.references[target],
                    ReferenceItem.active.is_(True),
                )
                .order_by(ReferenceItem.sort_order, ReferenceItem.id)
                .limit(13)
            ).all()
            shown = ", ".join(labels[:12]) + (" ..." if len(labels) > 12 else "")
            self._list_labels[target] = shown
        return self._list_labels[target]

    def _day_of(self, raw) -> date | None:
        """_as_date of a cell, kept per value (by type too) while fewer than MEMO_MAX are
        kept: a file's visits fall on a few hundred days."""
        key = _memo_key(raw)
        day = self._days.get(key, _UNSEEN)
        if day is _UNSEEN:
            day = _as_date(raw)
            if len(self._days) < MEMO_MAX:
                self._days[key] = day
        return day

    def _check_visit_date(self, target, raw, record):
        day = self._day_of(raw)
        if day is None:
            return _date_error(raw)
        record[target] = day
        record["last_contact_on"] = day
        if self.kind.visit_rows:
            record["visits"] = [day]
        return None

    def _check_later_visit(self, target, raw, record):
        day = self._day_of(raw)
        if day is None:
            return _("Bad date: %(value)s (use 2026-03-01)", value=raw)
        visits = record.get("visits")
        if not visits:
            return _("A later visit (%(value)s) needs the date of the first visit.", value=raw)
        if day <= visits[-1]:
            return _(
                "The visits must follow one another: %(value)s is not after %(before)s.",
                value=raw,
                before=visits[-1].isoformat(),
            )
        visits.append(day)
        record["last_contact_on"] = day
        return None

    def _check_budget(self, target, raw, record):
        text = _plain(raw).replace(",", "")
        scale = Decimal(1)
        for unit, factor in (("万元", 1), ("万", 1), ("元", Decimal("0.0001"))):
            if text.endswith(unit):
                text, scale = text[: -len(unit)], Decimal(factor)
                break
        try:
            amount = (Decimal(text) * scale).quantize(Decimal("0.1"))
        except (InvalidOperation, ValueError):
            amount = None
        # NaN (a "nan" cell) compares with nothing: refused as any other bad budget
        if amount is None or not amount.is_finite() or not 0 <= amount <= 100000:
            return _("Bad budget (in 10,000 yuan, e.g. 150): %(value)s", value=raw)
        record[target] = amount
        return None

    def _check_consultant(self, target, raw, record):
        found = self.consultants.get(_plain(raw))
        if found is None:
            return _("No consultant of your offices is named %(value)s.", value=raw)
        if found == 0:
            return _("Several consultants are named %(value)s: name one in the card.", value=raw)
        record["consultant_id"] = found
        return None

    def _check_progress(self, target, raw, record):
        key = _plain(raw)
        for code, words in PROGRESS_WORDS.items():
            if key in words:
                record[target] = code
                return None
        return _("Unknown progress: %(value)s (to follow up, viewed, signed)", value=raw)

    def _check_yes_no(self, target, raw, record):
        key = _plain(_text_of_number(raw)) if not isinstance(raw, bool) else str(int(raw))
        if key in YES_WORDS:
            record[target] = True
        elif key in NO_WORDS:
            record[target] = False
        else:
            return _(
                "%(what)s must be yes or no, not %(value)s.", what=_field_label(target), value=raw
            )
        return None

    def _check_text(self, target, raw, record):
        record[target] = str(raw)[:NOTES_MAX]
        return None

    def _check_text200(self, target, raw, record):
        if len(str(raw)) > 200:
            return _("%(what)s is longer than 200 characters.", what=_field_label(target))
        record[target] = str(raw)
        return None

    def mark_existing(self, results: list[RowResult]) -> None:
        """Reject rows whose unique values are already on a record (one query per field). A
        later visit of a card of the file is its card's reception, not a duplicate of it
        (the import's own transaction holds the card of an earlier chunk): it is rejected
        only with its card."""
        visits = [r for r in results if r.record and "visit_of" in r.record]
        results = [r for r in results if not (r.record and "visit_of" in r.record)]
        self.blind.clear()  # a chunk's at a time
        for target in self.kind.unique:
            values = {r.record[target] for r in results if r.record and r.record.get(target)}
            found = existing_values(self.session, self.kind, target, values, self.user, self.blind)
            for value in found:
                for r in results:
                    if r.record and r.record.get(target) == value:
                        r.errors.append(
                            _(
                                "A customer with %(what)s %(value)s already exists.",
                                what=_field_label(target),
                                # masked: the panel's own record is not shown whole here
                                value=mask(target, value),
                            )
                        )
                        r.record = None
                        self.wrong.add(r.row_number)
        for r in visits:
            if r.record["visit_of"] in self.wrong:
                r.errors.append(
                    _(
                        "Row %(row)s of this customer is rejected: fix it first.",
                        row=r.record["visit_of"],
                    )
                )
                r.record = None
                self.wrong.add(r.row_number)


def _missing(blank: str, target: str) -> str:
    """The error of a blank cell in a field that may not be blank (``blank``: the plan's mark)."""
    return (
        _("Name is missing.")
        if blank == "name"
        else _("%(what)s is missing.", what=_field_label(target))
    )


def existing_values(
    session: Session,
    kind: Kind,
    target: str,
    values: set[str],
    user: User | None = None,
    blind: dict[tuple[str, str], str] | None = None,
) -> set[str]:
    """The values of ``values`` already stored in ``target`` of the kind's table, in
    ``user``'s offices when given (another office's customers are neither duplicates nor
    shown to exist: issue 18). The one place the import looks a phone or ID number up, so
    it follows however they are stored. ``blind``, when given, gets the blind index of each
    value it looked up by one, as {(purpose, value): index}."""
    if not values:
        return set()
    column = getattr(kind.model, target)
    offices = true() if user is None else office_clause(kind.model.office_id, user)
    kept = blind_index_of(column)
    if kept is None:
        return set(session.scalars(select(column).where(column.in_(values), offices)))
    # Encrypted: look the keyed indexes up, then map them back to what the file holds.
    index_attr, purpose = kept
    by_index = {crypto.blind_index(v, purpose): v for v in values if crypto.normalise(v, purpose)}
    if blind is not None:
        blind.update(((purpose, v), index) for index, v in by_index.items())
    found = session.scalars(select(index_attr).where(index_attr.in_(list(by_index)), offices))
    return {by_index[index] for index in found}


def existing_phones(session: Session, phones: set[str]) -> set[str]:
    return existing_values(session, KINDS["prospect"], "mobile", phones)


def _text_of_number(raw) -> str:
    # Excel stores a typed phone as a number: 13812345678.0 must read 13812345678.
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


def _checker(session: Session, mapping: dict[str, int], kind: str, user: User | None) -> RowChecker:
    return (KINDS[kind].checker or RowChecker)(session, mapping, kind, user)


def _chunks(
    session: Session,
    mapping: dict[str, int],
    rows,
    kind: str,
    user: User | None = None,
    checker: RowChecker | None = None,
    checked: Callable[[list[RowResult]], None] | None = None,
) -> Iterator[list[RowResult]]:
    """The rows checked, a chunk at a time, each chunk's duplicates and links then looked up
    (``mark_existing``); ``checked`` is given each chunk in between, as the row checks left
    it."""
    checker = checker or _checker(session, mapping, kind, user)
    chunk: list[RowResult] = []
    for number, values in rows:
        chunk.append(checker.check(number, values))
        if len(chunk) >= CHUNK:
            if checked is not None:
                checked(chunk)
            checker.mark_existing(chunk)
            yield chunk
            chunk = []
    if chunk:
        if checked is not None:
            checked(chunk)
        checker.mark_existing(chunk)
        yield chunk


@batch_gc.fewer_collections()
def check_file(
    session: Session,
    path: Path | BinaryIO,
    mapping: dict[str, int],
    *,
    keep_rejected: int = 10_000,
    progress: Callable[[int], None] | None = None,
    kind: str = "prospect",
    user: User | None = None,
    layout: Layout | dict | None = None,
    checked: CheckedRows | None = None,
) -> Report:
    """Check every row; the report keeps up to ``keep_rejected`` rejected rows. A row
    duplicating a record of ``user``'s offices is rejected (None: of any office). With
    ``checked``, what was found is kept sealed there for the import."""
    missing = [f for f in KINDS[kind].required if f not in mapping]
    if missing:
        raise ImportFileError(_("Choose the column that holds the customer's name."))
    headers, rows = open_rows(path, kind=kind, layout=layout)
    report = Report(headers)
    checker = _checker(session, mapping, kind, user)
    keep = None
    try:
        if checked is not None and _reuses_check(kind):
            keep = checked_rows.Writer(
                checked.path, checked.token, _check_print(checker, mapping, layout)
            )
        # Kept as the row checks left them, before the database was asked: the import looks
        # up the duplicates and links again (a row refused for an owner or a card not yet in
        # the panel is taken once it is there), as a fresh check would.
        kept = None if keep is None else lambda chunk: keep.write(
            [(result.row_number, result.record) for result in chunk]
        )  # fmt: skip
        for chunk in _chunks(session, mapping, rows, kind, user, checker, kept):
            _count(report, chunk, keep_rejected)
            if progress:
                progress(report.total)
    except BaseException:
        if keep is not None:
            keep.abandon()
        raise
    if keep is not None:
        keep.close()
    return report


def _count(report: Report, chunk: list[RowResult], keep_rejected: int) -> None:
    for result in chunk:
        report.total += 1
        if result.record is None:
            if len(report.rejected) < keep_rejected:
                report.rejected.append(result)
        else:
            report.valid += 1


#: Raised whenever the checks or the records they make change shape: rows a check kept
#: under other code are then not taken (the import checks the file again).
CHECKS_VERSION = 2


@dataclass(frozen=True)
class CheckedRows:
    """Where a check pass keeps the rows it found good, for the import of the same upload
    (services/shared/checked_rows.py): the file and the upload's token."""

    path: Path
    token: str


def _reuses_check(kind: str) -> bool:
    """Whether an import of ``kind`` may take the check pass's rows instead of checking the
    file again: kinds checked by RowChecker itself, whose checks read nothing from the
    database but the reference lists and the consultants (``_check_print`` holds both) and
    the duplicates (looked up again by the import), and kinds whose own checker says it may
    (``Kind.reuses_check``). Other checkers read more in their row checks (the units of
    earlier rows, a unit's owners ...): such a kind checks again."""
    spec = KINDS[kind]
    return spec.checker is None or spec.reuses_check


def _check_print(checker: RowChecker, mapping: dict[str, int], layout) -> bytes:
    """What a check's outcome depends on besides the file: the kind, the mapping, the sheet
    and title row, the account, the office date and every label and consultant the checks
    match against (the account's offices only bound the duplicates, looked up again by the
    import); the versions of the checks and of the file's format."""
    return checked_rows.fingerprint(
        checked_rows.FORMAT,
        CHECKS_VERSION,
        checker.kind_name,
        sorted(mapping.items()),
        Layout.of(layout).as_dict(),
        checker.user.id if checker.user is not None else None,
        office_today().isoformat(),
        sorted((name, sorted(index.items())) for name, index in checker.references.items()),
        sorted(checker.consultants.items()),
        checker.depends_on(),
    )


def _checked_chunks(
    session: Session,
    mapping: dict[str, int],
    kind: str,
    user: User | None,
    checked: CheckedRows | None,
    layout,
    checker: RowChecker | None = None,
) -> Iterator[list[RowResult]] | None:
    """The check pass's chunks of this upload, their duplicates looked up again in this
    transaction (by ``checker``, made here when not given); None when the import must read
    and check the file itself."""
    if checked is None or not _reuses_check(kind):
        return None
    checker = checker or _checker(session, mapping, kind, user)
    try:
        chunks = checked_rows.open_chunks(
            checked.path, checked.token, _check_print(checker, mapping, layout)
        )
    except checked_rows.CheckedRowsUnusable:
        return None

    def rechecked() -> Iterator[list[RowResult]]:
        for pairs in chunks:
            chunk = [RowResult(row, (), record=record) for row, record in pairs]
            refused = [row for row, record in pairs if record is None]
            checker.wrong.update(refused)
            checker.refused.update(refused)
            # what the database holds now, not at the check (the same query as a check's)
            checker.mark_existing(chunk)
            yield chunk

    return rechecked()


@dataclass
class Outcome:
    inserted: int
    skipped: int
    #: Receptions of the imported welcome cards (visits).
    visits: int = 0


class RowsRejected(ImportFileError):
    pass


@dataclass(frozen=True)
class ConsentBasis:
    """The basis the importing user states once for the whole file (PIPL), recorded for
    every card the file creates, as the create form records it for one card."""

    basis: str
    purpose: str
    policy_version: str


def _consent_rows(consent: ConsentBasis, subject_type: str, ids, user: User) -> list[dict]:
    return [
        {
            "subject_type": subject_type,
            "subject_id": record_id,
            "basis": consent.basis,
            "purpose": consent.purpose,
            "policy_version": consent.policy_version,
            "recorded_by_id": user.id,
        }
        for record_id in ids
    ]


def _office_placer(session: Session, user: User, model) -> Callable[[dict], int]:
    """Where an imported row belongs (a bulk insert passes the ORM event that places rows):
    the office holding the row's project, else the importer's own office of that kind."""
    kind = model.__office_kind__
    own = account_office_id(session, user.id, kind) or default_office_id(session)
    by_project: dict[int, int] = {}

    def place(record: dict) -> int:
        project = record.get("project_id")
        if project is None or model.__office_project__ is None:
            return own
        if project not in by_project:
            by_project[project] = project_office_id(session, project, kind) or own
        return by_project[project]

    return place


@batch_gc.fewer_collections()
def import_file(
    session: Session,
    user: User,
    path: Path | BinaryIO,
    mapping: dict[str, int],
    *,
    skip_rejected: bool,
    actor: audit.Actor | None = None,
    progress: Callable[[int], None] | None = None,
    kind: str = "prospect",
    consent: ConsentBasis | None = None,
    layout: Layout | dict | None = None,
    checked: CheckedRows | None = None,
) -> Outcome:
    """Insert the valid rows in the caller's transaction, each with its consent record;
    refuse the whole file when a row is wrong and ``skip_rejected`` is not chosen, or when no
    allowed basis is stated. The caller commits (or rolls back) once."""
    spec = KINDS[kind]
    if consent is None or consent.basis not in spec.consent_bases:
        raise ImportFileError(
            _("State the basis the customers' data is kept on before importing them.")
        )
    actor = actor or audit.Actor(user.id, user.username, user.role_code)
    if spec.writer is not None and not spec.writer.pipelines:
        chunks = _checked_chunks(session, mapping, kind, user, checked, layout)
        if chunks is None:
            _headers, rows = open_rows(path, kind=kind, layout=layout)
            chunks = _chunks(session, mapping, rows, kind, user)
        return _write_chunks(
            session,
            user,
            chunks,
            spec.writer(session, user),
            skip_rejected=skip_rejected,
            actor=actor,
            progress=progress,
            consent=consent,
        )
    writes = _Writes(session)
    try:
        run = _pipelined_writer_import if spec.writer is not None else _import_records
        outcome = run(
            writes,
            user,
            path,
            mapping,
            kind,
            skip_rejected,
            actor,
            progress,
            consent,
            layout,
            checked,
        )
        writes.close()
    finally:
        writes.abandon()
    return outcome


def _pipelined_writer_import(
    writes, user, path, mapping, kind, skip_rejected, actor, progress, consent, layout, checked
) -> Outcome:
    """import_file for a kind whose Writer ``pipelines``: the job's thread reads, checks and
    prepares each chunk on ``writes.reads``, the writer thread writes it."""
    session = writes.reads
    with _import_chunks(session, user, path, mapping, kind, checked, layout) as chunks:
        return _write_chunks(
            writes.session,
            user,
            chunks,
            KINDS[kind].writer(session, user, writes),
            skip_rejected=skip_rejected,
            actor=actor,
            progress=progress,
            consent=consent,
        )


@contextlib.contextmanager
def _import_chunks(
    session: Session, user: User, path, mapping, kind, checked, layout, checker=None
) -> Iterator[Iterator[list[RowResult]]]:
    """The chunks an import writes, read on ``session`` (the import's reading connection):
    the check pass's rows when it kept them (``_checked_chunks``), else the file read and
    checked again; the chunks and the upload's file closed at the end, also when a row or a
    write stops the import (a traceback kept by the caller would otherwise hold it open)."""
    # The account's offices (and role), loaded now: a lazy load later would run on the
    # import's session while the writer thread uses it (PostgreSQL).
    visible_office_ids(user)
    rows = None
    chunks = _checked_chunks(session, mapping, kind, user, checked, layout, checker)
    if chunks is None:
        _headers, rows = open_rows(path, kind=kind, layout=layout)
        chunks = _chunks(session, mapping, rows, kind, user, checker)
    try:
        yield chunks
    finally:
        chunks.close()
        if rows is not None and hasattr(rows, "close"):
            rows.close()


def _import_records(
    writes, user, path, mapping, kind, skip_rejected, actor, progress, consent, layout, checked
) -> Outcome:
    """import_file for a kind of one record a row: the job's thread reads, checks and
    prepares each chunk, ``writes`` writes it."""
    spec = KINDS[kind]
    session = writes.reads
    checker = _checker(session, mapping, kind, user)
    empty = {column: None for column in _stored_columns(spec)}
    indexes_of = _RowIndexes(spec.model, checker.blind)
    owner_of_card = {}
    if spec.model is Prospect:
        # The importing consultant owns the cards; other accounts leave them unassigned.
        consultant = _consultant_rules().default_consultant(user)
        owner_of_card = {"consultant_id": consultant.id if consultant else None}
    place = _office_placer(session, user, spec.model)
    receptions = _Receptions(writes, user) if spec.visit_rows else None
    inserted = skipped = seen = 0
    with _import_chunks(session, user, path, mapping, kind, checked, layout, checker) as chunks:
        for chunk in chunks:
            records, rows_of, later = [], [], []
            valid, rejected = _valid_rows(chunk, skip_rejected)
            skipped += rejected
            for result in valid:
                if receptions is not None and "visit_of" in result.record:
                    later.append(result.record)  # after its card, which may be in this chunk
                    continue
                fields = dict(result.record)
                visits = fields.pop("visits", None)
                record = {**empty, **spec.fixed, **owner_of_card, **fields}
                record["office_id"] = place(record)
                # A bulk insert passes the attribute events that keep the blind indexes.
                records.append({**record, **indexes_of(record), "created_by_id": user.id})
                rows_of.append((result.row_number, visits))
            if records:
                if later:
                    _fold_last_contact(records, rows_of, later)
                # Ids in the order of the rows, so each name gets its own tokens.
                ids = writes.insert_ids(spec.model, records)
                token_kind = name_search.kind_of(spec.model)
                if token_kind is not None:
                    # The bulk insert passes the ORM events that keep the name-search tokens.
                    names = [record.get("name") for record in records]
                    writes.tokens(token_kind, list(zip(ids, names, strict=True)))
                inserted += len(ids)
                writes.rows(
                    ConsentRecord.__table__, _consent_rows(consent, spec.record_type, ids, user)
                )
                writes.call(
                    audit.record,
                    writes.session,
                    actor,
                    "import",
                    record_type=spec.record_type,
                    record_ids=ids,
                )
                if receptions is not None:
                    receptions.cards(ids, records, rows_of)
            if receptions is not None:
                for record in later:
                    receptions.later(record)
                receptions.flush()
            writes.end_chunk()
            seen += len(chunk)
            if progress:
                progress(seen)
    return Outcome(inserted, skipped, receptions.count if receptions else 0)


class _RowIndexes:
    """``blind_indexes_for(model, record)``, the chunk's indexes taken from its duplicates'
    look-up (``RowChecker.blind``) rather than computed a second time: {(purpose, value):
    index}, made by the same ``crypto.blind_index``, for values whose normal form is not
    blank, as ``blind_indexes_for`` computes them."""

    def __init__(self, model, blind: dict[tuple[str, str], str]):
        self.model = model
        self.blind = blind
        keys = [attr.key for attr in sa_inspect(model).column_attrs]
        plan = []
        for key in keys:
            kept = blind_index_of(getattr(model, key))
            if kept is not None:
                plan.append((key, kept[0].key, kept[1]))
        # the order and columns of blind_indexes_for's own, or that function itself
        every = blind_indexes_for(model, dict.fromkeys(keys))
        order = {index_key: n for n, index_key in enumerate(every)}
        plan.sort(key=lambda step: order.get(step[1], len(order)))
        self.plan = plan if list(every) == [index_key for _k, index_key, _p in plan] else None

    def __call__(self, record: dict) -> dict[str, str | None]:
        if self.plan is None:
            return blind_indexes_for(self.model, record)
        result = {}
        blind = self.blind
        for key, index_key, purpose in self.plan:
            if key not in record:
                continue
            value = record[key]
            index = blind.get((purpose, value)) if value is not None else None
            if index is None:
                index = (
                    None
                    if value is None or not crypto.normalise(value, purpose)
                    else crypto.blind_index(value, purpose)
                )
            result[index_key] = index
        return result


def _valid_rows(chunk: list[RowResult], skip_rejected: bool) -> tuple[list[RowResult], int]:
    """The chunk's good rows and how many were rejected; ``RowsRejected`` at the first
    rejected row unless the user chose to skip them (all or nothing)."""
    valid = []
    for result in chunk:
        if result.record is not None:
            valid.append(result)
        elif not skip_rejected:
            raise RowsRejected(
                _("Row %(row)s is wrong: nothing was imported.", row=result.row_number)
            )
    return valid, len(chunk) - len(valid)


def _fold_last_contact(records: list[dict], rows_of: list[tuple], later: list[dict]) -> None:
    """A later visit of a card of the same chunk dates the card's last contact in the card's
    own row (the last such row of the file wins, as the UPDATE it saves would): an UPDATE
    of a just-inserted card rewrites it in every one of its indexes. Those rows are marked
    so ``_Receptions.later`` does not date the card again."""
    position = {row: index for index, (row, _visits) in enumerate(rows_of)}
    for record in later:
        index = position.get(record["visit_of"])
        if index is not None:
            records[index]["last_contact_on"] = record["visits"][-1]
            record["contact_dated"] = True


def insert_ids(session: Session, model, rows: list[dict]) -> list[int]:
    """Insert ``rows`` (all with the same keys, none with an id) in bulk; their new ids, in
    the rows' order.

    SQLAlchemy sends a few multi-row INSERT ... RETURNING statements (insertmanyvalues),
    except on SQLite when the ids must come back in the rows' order: it then inserts one row
    at a time. On SQLite the order is known without it: a statement inserts its VALUES rows
    in order, each taking the next rowid, under the write lock the transaction holds, so the
    rows' ids, sorted, are in the rows' order."""
    if not rows:
        return []
    table = model.__table__
    conn = session.connection()
    if all(key in table.c for key in rows[0]):
        # Core, not the ORM's bulk insert: the keys are the columns, nothing of the ORM's
        # bookkeeping per row is needed; the timestamps are stamped once per statement.
        rows = stamped(table, rows)
        if conn.dialect.name == "sqlite":
            return sorted(conn.scalars(insert(table).returning(table.c.id), rows))
        if copies(conn, table, rows[0]):
            # PostgreSQL: the ids taken from the table's sequence first (as its default
            # would), then the rows, ids given, by COPY.
            sequence = conn.scalar(select(func.pg_get_serial_sequence(table.name, "id")))
            if sequence:
                ids = list(
                    conn.scalars(
                        select(func.nextval(sequence)).select_from(
                            func.generate_series(1, len(rows))
                        )
                    )
                )
                copy_rows(conn, table, [{**row, "id": i} for row, i in zip(rows, ids, strict=True)])
                return ids
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list(conn.scalars(statement, rows))
    if conn.dialect.name == "sqlite":
        return sorted(session.scalars(insert(model).returning(model.id), rows))
    statement = insert(model).returning(model.id, sort_by_parameter_order=True)
    return list(session.scalars(statement, rows))


def _insert_rows(conn, table, rows: list[dict]) -> None:
    """Insert ``rows`` (the same keys, no ids wanted back) in bulk: COPY on PostgreSQL, else
    a Core executemany; the insert-time columns stamped once (``stamped``)."""
    if not rows:
        return
    rows = stamped(table, rows)
    if copies(conn, table, rows[0]):
        copy_rows(conn, table, rows)
    else:
        conn.execute(insert(table), rows)


#: Columns whose default is the time of the insert (models/base.py ``utcnow``).
_STAMPS = ("created_at", "updated_at", "given_at")


def copies(conn, table, row: dict) -> bool:
    """Whether ``copy_rows`` can insert rows like ``row`` into ``table``: PostgreSQL through
    psycopg2, and every column the row leaves out without a default or with a plain one."""
    dialect = conn.dialect
    if dialect.name != "postgresql" or dialect.driver != "psycopg2":
        return False
    return plain_defaults(table, row)


def plain_defaults(table, row: dict) -> bool:
    """Whether every column of ``table`` that ``row`` leaves out has no default or a plain
    one, which a COPY (``copy_payload``) or a multi-row INSERT (``bound_rows``) adds itself."""
    return all(
        column.key in row or column.default is None or column.default.is_scalar
        for column in table.c
    )


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value)  # int, Decimal, date


def copy_rows(conn, table, rows: list[dict]) -> None:
    """Insert ``rows`` (all with the same keys; ``copies`` said yes) by PostgreSQL's COPY in
    the transaction's own connection: each value through its column type's bind processing
    (an encrypted column is sealed as in an INSERT), the plain defaults of the columns the
    rows leave out added. A few times faster than multi-row INSERTs, for the server too."""
    if rows:
        send_copy(conn, *copy_payload(conn.dialect, table, rows))


def send_copy(conn, statement: str, text: str) -> None:
    """Send one COPY (``copy_payload``) on the transaction's own connection."""
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        # read in large pieces: the writer thread (_Writes) takes the GIL once a piece
        cursor.copy_expert(statement, io.StringIO(text), size=1 << 20)
    finally:
        cursor.close()


def copy_payload(dialect, table, rows: list[dict]) -> tuple[str, str]:
    """The COPY statement and text of ``copy_rows``."""
    defaults = {
        column.key: column.default.arg
        for column in table.c
        if column.key not in rows[0] and column.default is not None
    }
    keys = list(rows[0])
    names = keys + list(defaults)
    tail = [defaults[name] for name in defaults]
    escapes = _COPY_ESCAPES
    lines = []
    for values in _bound_values(dialect, table, names, rows, keys, tail):
        # as _copy_text, its two commonest cases (no value, a plain text) inline: a card has
        # some 40 columns, and a call per value was most of this loop's time
        lines.append(
            "\t".join(
                [
                    "\\N"
                    if value is None
                    else value.translate(escapes)
                    if value.__class__ is str
                    else _copy_text(value)
                    for value in values
                ]
            )
        )
    quote = dialect.identifier_preparer.quote
    statement = "COPY {} ({}) FROM STDIN".format(
        dialect.identifier_preparer.format_table(table), ", ".join(quote(n) for n in names)
    )
    return statement, "\n".join(lines) + "\n"


def stamped(table, rows: list[dict]) -> list[dict]:
    """``rows`` with the insert-time columns of ``table`` that they leave out set to one
    ``utcnow()``: a bulk insert's rows are made in one moment of one transaction, and a
    Python default called for each row of an executemany costs more than the row."""
    missing = [
        name
        for name in _STAMPS
        if name in table.c and table.c[name].default is not None and name not in rows[0]
    ]
    if not missing:
        return rows
    now = utcnow()
    stamp = dict.fromkeys(missing, now)
    return [{**row, **stamp} for row in rows]


#: Most values one multi-row INSERT of the SQLite writer binds (SQLite's default limit of
#: host parameters since 3.32); a compiled statement of that size is some 4 MB.
_SQLITE_VALUES = 32766
#: Fewest rows of one: a few statement sizes for small chunks, each compiled once.
_SQLITE_ROWS = 16


def bound_rows(dialect, table, rows: list[dict], ids=None) -> tuple[list[str], list[list]]:
    """The columns and each row's values as the driver takes them, for ``sqlite_inserts``:
    as in ``copy_payload``, each value through its column type's bind processing (an
    encrypted column is sealed as in an INSERT) and the plain defaults of the columns the
    rows leave out added (``copies`` said they are plain); ``ids``, when given, first."""
    keys = list(rows[0])
    defaults = {
        column.key: column.default.arg
        for column in table.c
        if column.key not in rows[0] and column.default is not None
    }
    names = keys + list(defaults)
    tail = list(defaults.values())
    values = _bound_values(dialect, table, names, rows, keys, tail)
    if ids is not None:
        names = ["id", *names]
        values = [[i, *line] for i, line in zip(ids, values, strict=True)]
    return names, values


#: Column types whose bind processing depends on the value alone (a date or time written
#: as text, a yes/no as 0 or 1): a chunk's dates, stamps and yes/no repeat, so each
#: distinct value is processed once a chunk (``_bound_values``).
_PLAIN_PROCESSED = (Date, DateTime, Time, Boolean)


def _bind_plan(dialect, table, names: list[str]) -> list[tuple]:
    """(position, bind processor, how) of each of ``names`` that has a processor; how: the
    column's type for an EncryptedString column (its processor is ``crypto.encrypt`` of the
    text, the impl's own adding nothing: sealed in a batch), "memo" for a plain type of
    ``_PLAIN_PROCESSED``, else None (each value through the processor)."""
    plan = []
    for index, name in enumerate(names):
        column_type = table.c[name].type
        process = column_type.dialect_impl(dialect).bind_processor(dialect)
        if process is None:
            continue
        how = None
        if (
            type(column_type) is EncryptedString
            and column_type.impl_instance.dialect_impl(dialect).bind_processor(dialect) is None
        ):
            how = column_type
        elif isinstance(column_type, _PLAIN_PROCESSED) and not isinstance(
            column_type, TypeDecorator
        ):
            how = "memo"
        plan.append((index, process, how))
    return plan


def _bound_values(dialect, table, names, rows, keys, tail) -> list[list]:
    """Each row's values (``keys``, then ``tail``), each through its column type's bind
    processing, as the driver takes them: the values an INSERT of ``rows`` would bind.

    Column by column (issue 22, sixth pass: the per-value calls were a third of the
    import's own time): an encrypted column's texts sealed in one ``crypto.encrypt_many``
    (the same tokens as ``EncryptedString``'s, a random nonce each), a plain type's distinct
    values processed once. A value the column type refuses (too long, not text ...) is
    processed as an INSERT would; should anything raise, every row is processed again
    value by value in the INSERT's order, so the error is the one it would raise."""
    plan = _bind_plan(dialect, table, names)
    values = [[row[key] for key in keys] + tail for row in rows]
    try:
        for index, process, how in plan:
            if how is None:
                for line in values:
                    value = line[index]
                    if value is not None:
                        line[index] = process(value)
            elif how == "memo":
                memo: dict = {}
                for line in values:
                    value = line[index]
                    if value is None:
                        continue
                    if getattr(value, "tzinfo", None) is not None:
                        # an aware time: equal ones in other zones are written apart
                        line[index] = process(value)
                        continue
                    key = (value.__class__, value)
                    found = memo.get(key)
                    if found is None:
                        found = memo[key] = process(value)
                    line[index] = found
            else:
                _seal_column(values, index, process, how)
    except Exception:
        values = [[row[key] for key in keys] + tail for row in rows]
        for line in values:
            for index, process, _how in plan:
                value = line[index]
                if value is not None:
                    line[index] = process(value)
    return values


def _seal_column(values: list[list], index: int, process, column_type: EncryptedString) -> None:
    """``process`` (an EncryptedString column's bind processor) of the column ``index`` of
    ``values``, in place: its texts within the column's length sealed in one batch, any
    other value through ``process`` (which raises as an INSERT would)."""
    limit = column_type.length
    lines, texts = [], []
    for line in values:
        value = line[index]
        if value is None:
            continue
        if value.__class__ is not str or (limit is not None and len(value) > limit):
            line[index] = process(value)
            continue
        lines.append(line)
        texts.append(value)
    sealed = crypto.encrypt_many(texts, column_type.binding.encode("ascii"))
    for line, token in zip(lines, sealed, strict=True):
        line[index] = token


def sqlite_inserts(dialect, table, names: list[str], values: list) -> list[tuple[str, tuple]]:
    """Multi-row INSERTs (statement, parameters) of ``values`` (rows of ``names``' values).

    The SQLite writer's form (``_Writes``): the driver lets go of the GIL while a statement
    runs, and an executemany runs one per row, each taking the GIL back only once the job's
    thread gives it up (the switch interval, 5 ms), so a row at a time the writer would
    barely move. A statement's rows are padded with NULLs to a power of two, which LIMIT
    leaves out: a few statement texts, each compiled once and kept in the driver's cache."""
    width = len(names)
    most = max(1, _SQLITE_VALUES // width)
    quote = dialect.identifier_preparer.quote
    # the table's and columns' own names, quoted; the values are bound
    head = "INSERT INTO {} ({}) SELECT * FROM (VALUES ".format(  # noqa: S608
        dialect.identifier_preparer.format_table(table), ", ".join(quote(n) for n in names)
    )
    row = "(" + ", ".join("?" * width) + ")"
    statements = []
    for start in range(0, len(values), most):
        part = values[start : start + most]
        size = min(most, max(_SQLITE_ROWS, 1 << (len(part) - 1).bit_length()))
        parameters = [value for line in part for value in line]
        parameters.extend([None] * (width * (size - len(part))))
        parameters.append(len(part))
        statements.append((head + ", ".join([row] * size) + ") LIMIT ?", tuple(parameters)))
    return statements


def _run_inserts(conn, statements: list[tuple[str, tuple]]) -> None:
    for statement, parameters in statements:
        conn.exec_driver_sql(statement, parameters)


class Writer:
    """Writes the checked rows of a kind that makes several records per row (a unit, its
    owner and household, ...): ``write`` inserts a chunk in bulk and returns what it made,
    as {record type: ids}; each is logged, and the people of ``people`` get the consent
    stated for the file."""

    #: Record types whose rows are people the consent is recorded for.
    people: tuple[str, ...] = ()
    #: The record type the outcome counts (the kind's main records).
    counts: str = ""
    #: Whether ``write`` sends every insert through ``self.writes`` (``_Writes``: a writer
    #: thread on PostgreSQL and an SQLite file) and reads nothing of the rows it wrote: the
    #: kind's checks and ``write`` then read through ``writes.reads``, committed data only,
    #: as the check pass did. A writer that reads what an earlier chunk wrote keeps False.
    pipelines: bool = False

    def __init__(self, session: Session, user: User, writes: _Writes | None = None):
        self.session = session
        self.user = user
        self.writes = writes

    def insert_ids(self, model, rows: list[dict]) -> list[int]:
        """``insert_ids``, through ``self.writes`` when given."""
        if self.writes is not None:
            return self.writes.insert_ids(model, rows)
        return insert_ids(self.session, model, rows)

    def tokens(self, model, ids: list[int], names) -> None:
        """The name-search tokens of new ``model`` records (a bulk insert passes the ORM
        events that keep them), through ``self.writes`` when given."""
        kind = name_search.kind_of(model)
        if kind is None:
            return
        pairs = list(zip(ids, names, strict=True))
        if self.writes is not None:
            self.writes.tokens(kind, pairs)
        else:
            name_search.bulk_tokens(self.session.connection(), kind, pairs)

    def write(self, results: list[RowResult]) -> dict[str, list[int]]:
        raise NotImplementedError


def _write_chunks(
    session: Session,
    user: User,
    chunks: Iterator[list[RowResult]],
    writer: Writer,
    *,
    skip_rejected: bool,
    actor: audit.Actor,
    progress: Callable[[int], None] | None,
    consent: ConsentBasis,
) -> Outcome:
    """import_file for a kind with a Writer: the same all or nothing, skipping, logging of
    each chunk and progress. With ``writer.writes`` each chunk's writes go to its writer
    thread (``_Writes``) while the next chunk is read and checked."""
    writes = writer.writes
    inserted = skipped = seen = 0
    for chunk in chunks:
        valid, rejected = _valid_rows(chunk, skip_rejected)
        skipped += rejected
        if valid:
            written = writer.write(valid)
            inserted += len(written.get(writer.counts, ()))
            for record_type, ids in written.items():
                if not ids:
                    continue
                if record_type in writer.people:
                    rows = _consent_rows(consent, record_type, ids, user)
                    if writes is not None:
                        writes.rows(ConsentRecord.__table__, rows)
                    else:
                        _insert_rows(session.connection(), ConsentRecord.__table__, rows)
                if writes is not None:
                    writes.call(
                        audit.record,
                        writes.session,
                        actor,
                        "import",
                        record_type=record_type,
                        record_ids=ids,
                    )
                else:
                    audit.record(session, actor, "import", record_type=record_type, record_ids=ids)
        if writes is not None:
            writes.end_chunk()
        seen += len(chunk)
        if progress:
            progress(seen)
    return Outcome(inserted, skipped)


class _Writes:
    """Where an import's chunks go: the import's own connection, in the file's order, in
    one transaction.

    On PostgreSQL (psycopg2) and on an SQLite file the job's thread prepares a chunk (its
    ids, every COPY text or multi-row INSERT, the tokens) and a writer thread sends it while
    the job's thread reads, checks and prepares the next one: the database's share (the
    indexes and foreign keys of every row, as long as the Python work again) runs on another
    core. PostgreSQL takes the ids from the table's sequence; on SQLite the import holds the
    database's write lock from its first write until it ends, so the ids after the largest
    one then are the import's to number (``_first_id``). The job's thread then reads on a
    connection of its own (``reads``): a chunk's duplicates are looked up in what is
    committed (SQLite: its WAL lets a reader in beside the writer), and the file's own rows
    were found by the check in memory. At most one chunk waits for the writer, so memory
    stays flat; a failed write raises at the next chunk; the caller commits only after
    ``close``, which waits for every write, and ``abandon`` (always called) stops the writer
    before the transaction is rolled back. Elsewhere (an in-memory SQLite database has a
    single connection) each write runs at once."""

    def __init__(self, session: Session):
        # the Session itself, not a scoped proxy: the writer thread's proxy is another's
        self.session = session() if isinstance(session, scoped_session) else session
        self.conn = session.connection()
        dialect = self.conn.dialect
        self.copying = dialect.name == "postgresql" and dialect.driver == "psycopg2"
        self.numbering = _numbers_rows(self.conn)
        self.pipelined = self.copying or self.numbering
        self.reads = Session(bind=self.conn.engine) if self.pipelined else session
        self._next_id: dict[str, int] = {}  # SQLite: each table's next id
        self._cache_size = _grow_cache(self.conn)
        self._chunk: list[Callable[[], None]] = []
        self._error: BaseException | None = None
        self._stopped = False  # the writer took the stop mark
        self._thread: threading.Thread | None = None
        # PostgreSQL: tables the import fills that its foreign-key checks read
        self.statistics = import_statistics.ImportStatistics() if self.copying else None
        if self.pipelined:
            self._queue: queue.Queue = queue.Queue(maxsize=1)
            # the writer's session calls (the access event) look the engine up in the app
            app = current_app._get_current_object()
            self._thread = threading.Thread(
                target=self._run, args=(app,), name="import-writer", daemon=True
            )
            self._thread.start()

    def _run(self, app) -> None:
        try:
            with app.app_context():
                self._serve()
        except BaseException as exc:  # outside a task: the job's thread must still go on
            self._error = self._error or exc
            # take what the job's thread still hands over, up to the stop mark, so that it
            # never waits on a full queue for a writer that is gone
            while not self._stopped:
                self._stopped = self._queue.get() is None
                self._queue.task_done()

    def _serve(self) -> None:
        while True:
            tasks = self._queue.get()
            try:
                if tasks is None:
                    self._stopped = True
                    return
                for task in tasks:
                    if self._error is not None:
                        break  # after a failed write nothing more is sent
                    try:
                        task()
                    except BaseException as exc:  # raised in the job's thread (``_raise``)
                        self._error = exc
            finally:
                self._queue.task_done()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def insert_ids(self, model, rows: list[dict]) -> list[int]:
        if not rows:
            return []  # nothing to wait for (a chunk without members, cards or files)
        table = model.__table__
        # stamped first: the time columns' default is a function, which COPY cannot call
        rows = stamped(table, rows)
        if not (
            self.pipelined
            and all(key in table.c for key in rows[0])
            and self._sends(table, rows[0])
        ):
            self._drain()
            return insert_ids(self.session, model, rows)
        if self.numbering:
            if not _numbered(table):
                self._drain()
                return insert_ids(self.session, model, rows)
            first = self._first_id(table)
            ids = list(range(first, first + len(rows)))
            self._next_id[table.name] = first + len(rows)
            self._inserts(table, *bound_rows(self.conn.dialect, table, rows, ids))
            return ids
        sequence = self.reads.scalar(select(func.pg_get_serial_sequence(table.name, "id")))
        if not sequence:
            self._drain()
            return insert_ids(self.session, model, rows)
        # as insert_ids: the ids taken from the sequence first (on the reading connection:
        # a sequence is outside transactions), then the rows, ids given, by COPY
        ids = list(
            self.reads.scalars(
                select(func.nextval(sequence)).select_from(func.generate_series(1, len(rows)))
            )
        )
        rows = [{**row, "id": i} for row, i in zip(rows, ids, strict=True)]
        self._copy(table, rows)
        return ids

    def _first_id(self, table) -> int:
        """SQLite: the id after the largest of ``table``, read once the import holds the
        database's write lock (a write that changes nothing takes it; it waits for another
        writer, then fails with "database is locked"): until the import's transaction ends
        no one else inserts, so the ids from there on are the import's to number."""
        if table.name not in self._next_id:
            self._drain()  # the import's connection is the writer's until then
            self.conn.execute(delete(table).where(false()))
            last = self.conn.scalar(select(func.max(table.c.id))) or 0
            if table.dialect_options["sqlite"]["autoincrement"]:
                # AUTOINCREMENT never reuses an id, not even one of a deleted last row
                used = self.conn.exec_driver_sql(
                    "SELECT seq FROM sqlite_sequence WHERE name = ?", (table.name,)
                ).scalar()
                last = max(last, used or 0)
            self._next_id[table.name] = last + 1
        return self._next_id[table.name]

    def _sends(self, table, row: dict) -> bool:
        """Whether the writer can send rows like ``row`` as prepared here."""
        if self.copying:
            return copies(self.conn, table, row)
        return plain_defaults(table, row)

    def _copy(self, table, rows: list[dict]) -> None:
        statement, text = copy_payload(self.conn.dialect, table, rows)
        self._chunk.append(lambda: send_copy(self.conn, statement, text))
        self.statistics.wrote(table.name, len(rows))

    def _inserts(self, table, names: list[str], values: list) -> None:
        statements = sqlite_inserts(self.conn.dialect, table, names, values)
        self._chunk.append(lambda: _run_inserts(self.conn, statements))

    def rows(self, table, rows: list[dict]) -> None:
        """``_insert_rows``: prepared here, sent by the writer."""
        if not rows:
            return
        rows = stamped(table, rows)
        if self.pipelined and self._sends(table, rows[0]):
            if self.copying:
                self._copy(table, rows)
            else:
                self._inserts(table, *bound_rows(self.conn.dialect, table, rows))
        else:
            self.call(_insert_rows, self.conn, table, rows)

    def tokens(self, kind: str, pairs: list[tuple[int, str]]) -> None:
        """``name_search.bulk_tokens``: the tokens made here, sent by the writer."""
        if not self.pipelined:
            name_search.bulk_tokens(self.conn, kind, pairs)
            return
        rows = name_search.token_rows(kind, pairs)
        if not rows:
            return
        if self.copying:
            statement, text = name_search.copy_payload(rows)
            self._chunk.append(lambda: send_copy(self.conn, statement, text))
        else:
            self._inserts(name_search.NameToken.__table__, ["kind", "token", "record_id"], rows)

    def call(self, fn: Callable, *args, **kwargs) -> None:
        if self.pipelined:
            self._chunk.append(lambda: fn(*args, **kwargs))
        else:
            fn(*args, **kwargs)

    def end_chunk(self) -> None:
        """Hand the chunk to the writer (waiting while it still writes the one before)."""
        self._raise()
        if self.statistics is not None and self._chunk:
            due = self.statistics.due(self.reads.connection())
            if due:
                self._chunk.append(lambda: import_statistics.analyze(self.conn, due))
        if self.pipelined and self._chunk:
            self._queue.put(self._chunk)
            self._chunk = []

    def _drain(self) -> None:
        """Wait until every chunk handed over is written (before a write done here)."""
        if self.pipelined:
            self.end_chunk()
            self._queue.join()
            self._raise()

    def close(self) -> None:
        """Wait for every write; raise the first that failed."""
        self.end_chunk()
        self._stop()
        self._raise()

    def _stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def abandon(self) -> None:
        """Stop the writer (chunks not yet sent are dropped: the caller rolls back)."""
        if self._thread is not None:
            self._chunk = []
            self._error = self._error or _Abandoned()
            # make room for the stop mark: a chunk waiting in the queue is not sent
            try:
                self._queue.get_nowait()
                self._queue.task_done()
            except queue.Empty:
                pass
            self._stop()
        if self.pipelined:
            self.reads.close()  # its own connection (never the import's session)
        _restore_cache(self.conn, self._cache_size)
        self._cache_size = None


def _numbers_rows(conn) -> bool:
    """Whether ``_Writes`` numbers the rows and pipelines on this SQLite database: a file in
    WAL mode (the job's thread reads beside the import's writes), reached through a pool of
    several connections (one for the import, one to read)."""
    if conn.dialect.name != "sqlite":
        return False
    if isinstance(conn.engine.pool, (StaticPool, SingletonThreadPool)):
        return False  # an in-memory database, or one connection shared by every session
    return conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def _numbered(table) -> bool:
    """Whether ``_Writes`` can number ``table``'s rows: its key is an integer ``id``."""
    key = list(table.primary_key.columns)
    return len(key) == 1 and key[0].key == "id" and isinstance(key[0].type, Integer)


#: SQLite's page cache for an import's connection (KiB; 2 MB by default): the rows go into
#: every index of their table at random places, and a cache too small to hold the indexes'
#: pages writes them out and reads them back again and again.
_SQLITE_IMPORT_CACHE_KIB = 65536


def _grow_cache(conn) -> int | None:
    """SQLite: the import's connection's page cache raised for the import; its size before."""
    if conn.dialect.name != "sqlite":
        return None
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size = -{_SQLITE_IMPORT_CACHE_KIB}")
    return before


def _restore_cache(conn, size: int | None) -> None:
    """The connection goes back to the pool with its own page cache (the pages over it freed)."""
    if size is None:
        return
    # a connection gone with the import's failure has nothing to give back
    with contextlib.suppress(sqlite3.Error, SQLAlchemyError):
        # the driver's connection: the session's transaction may be failed by now
        conn.connection.dbapi_connection.execute(f"PRAGMA cache_size = {int(size)}")


class _Abandoned(Exception):
    """The import stopped (cancelled, rejected, failed): the writer sends nothing more."""


class _Receptions:
    """The receptions (prospect_visits) of imported welcome cards: one per dated visit of a
    card (its first visit, the columns "第二次来访" ..., and the later rows of the same
    customer), numbered 1, 2, ... in date order, inserted in bulk after their cards."""

    def __init__(self, writes: _Writes, user: User):
        self.writes = writes
        self.user = user
        self.summary = _("Imported from Excel")
        #: {row of a card: (card id, office id, consultant id, next number)}.
        self.by_row: dict[int, tuple[int, int, int | None, int]] = {}
        self.pending: list[dict] = []
        self.last_contact: dict[int, date] = {}
        self.count = 0

    def _add(self, card, office, consultant, seq, day, summary=None) -> None:
        self.pending.append(
            {
                "prospect_id": card,
                "seq": seq,
                "visited_on": day,
                "consultant_id": consultant,
                "summary": summary or self.summary,
                "office_id": office,
                "created_by_id": self.user.id,
            }
        )

    def cards(self, ids, records, rows_of) -> None:
        for card, record, (row, visits) in zip(ids, records, rows_of, strict=True):
            office, consultant = record["office_id"], record.get("consultant_id")
            for seq, day in enumerate(visits or (), start=1):
                self._add(card, office, consultant, seq, day)
            self.by_row[row] = (card, office, consultant, len(visits or ()) + 1)

    def later(self, record: dict) -> None:
        """A later row of a card's customer: its receptions, its notes as what was learned."""
        card, office, consultant, seq = self.by_row[record["visit_of"]]
        consultant = record.get("consultant_id") or consultant
        for day in record["visits"]:
            self._add(card, office, consultant, seq, day, record.get("summary"))
            seq += 1
        self.by_row[record["visit_of"]] = (card, office, consultant, seq)
        if not record.get("contact_dated"):  # a card of an earlier chunk
            self.last_contact[card] = record["visits"][-1]

    def flush(self) -> None:
        if self.pending:
            # COPY or a Core executemany (no ORM bookkeeping): nothing of a reception is
            # computed.
            self.writes.rows(Visit.__table__, self.pending)
            self.count += len(self.pending)
            self.pending = []
        if self.last_contact:
            self.writes.call(self._date_cards, dict(self.last_contact))
            self.last_contact = {}

    def _date_cards(self, last_contact: dict[int, date]) -> None:
        """The cards of earlier chunks' later visits: their last contact."""
        if last_contact:
            table = Prospect.__table__
            conn = self.writes.session.connection()
            # The cards were inserted in this transaction, by this import.
            if conn.dialect.name == "postgresql":
                # One UPDATE ... FROM (VALUES ...): psycopg2 sends an executemany's UPDATEs
                # one by one, a round trip per card.
                days = values_table(column("card", Integer), column("day", Date), name="days")
                days = days.data(list(last_contact.items()))
                conn.execute(
                    update(table)
                    .where(table.c.id == days.c.card)
                    .values(last_contact_on=days.c.day)
                )
            else:
                # Core executemany (SQLite runs it in-process)
                conn.execute(
                    update(table)
                    .where(table.c.id == bindparam("card"))
                    .values(last_contact_on=bindparam("day")),
                    [{"card": c, "day": d} for c, d in last_contact.items()],
                )


def rejected_workbook(report: Report, target: Path | BinaryIO) -> Path | BinaryIO:
    """The rejected rows with their original columns and an error column, to fix and re-upload."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append([*report.headers, _("Errors")])
    for result in report.rejected:
        cells = list(result.values) + [None] * (len(report.headers) - len(result.values))
        sheet.append([*cells[: len(report.headers)], "; ".join(result.errors)])
    workbook.save(target)
    return target


# --- helpers ----------------------------------------------------------------------------
def _reference_index(session: Session, list_code: str) -> dict[str, int]:
    """{label, English label and code, lower-cased: item id} of a reference list."""
    index: dict[str, int] = {}
    items = session.execute(
        select(ReferenceItem.id, ReferenceItem.code, ReferenceItem.label, ReferenceItem.label_en)
        .join(ReferenceList)
        .where(ReferenceList.code == list_code, ReferenceItem.active.is_(True))
    )
    for item_id, code, label, label_en in items:
        for key in (code, label, label_en):
            if key:
                index.setdefault(_reference_key(key), item_id)
    return index


#: Units a reference label may be written with or without (after NFKC: ㎡ reads m2).
_UNITS = (
    "元/平方米",
    "元/平米",
    "元/m2",
    "元每平米",
    "yuan/m2",
    "平方米",
    "平米",
    "/m2",
    "m2",
    "元",
)
_DASHES = str.maketrans({c: "-" for c in "–—−~～至"})


def _plain(raw) -> str:
    """A cell as text for matching: full-width folded to half-width, no spaces, lower-case."""
    text = unicodedata.normalize("NFKC", str(raw)).lower()
    return "".join(text.split())


@lru_cache(maxsize=8192)
def _reference_key(raw) -> str:
    """How a reference label is matched: _plain, one kind of dash, without its unit (元/㎡,
    ㎡, 平米, 元), so "3000-3500元/㎡", "3000～3500" and "３０００—３５００ 元/平米" agree."""
    text = _plain(raw).translate(_DASHES)
    for unit in _UNITS:
        text = text.replace(unit, "")
    return text


def _consultant_index(session: Session, user: User | None) -> dict[str, int]:
    """{full name (and account name), as _plain: user id} of the consultants of ``user``'s
    offices; 0 for a name two consultants share."""
    index: dict[str, int] = {}
    for account in _consultant_rules().consultants(session, seen_by=user):
        for key in {_plain(account.full_name or ""), _plain(account.username)}:
            if key:
                index[key] = 0 if index.get(key, account.id) != account.id else account.id
    return index


def _latest_visit(record: dict) -> date | None:
    visits = record.get("visits")
    return visits[-1] if visits else record.get("first_visit_on")


def _as_date(value) -> date | None:
    """The date a cell holds in any form people type (services/shared/dates_typed.py), or None
    (no date, or day and month could be swapped: ``_date_error`` says which)."""
    return dates_typed.typed_date_or_none(value)


def _date_error(value) -> str:
    """Why ``value`` is not one clear date, for the row's errors."""
    try:
        dates_typed.parse_typed_date(value)
    except dates_typed.AmbiguousDate as exc:
        return _(
            "Ambiguous date %(value)s: it could be %(readings)s; write it as 2026-03-01.",
            value=value,
            readings=" / ".join(exc.readings),
        )
    except ValueError:
        pass
    return _("Bad date: %(value)s (use 2026-03-01)", value=value)


def _stored_columns(spec: Kind) -> list[str]:
    """Model columns every inserted row names (a multi-row INSERT needs the same keys)."""
    columns = []
    for target, check in spec.checks.items():
        if check == "reference":
            columns.append(f"{target}_id")
        elif check == "consultant":
            columns.append("consultant_id")
        elif check != "later_visit":
            columns.append(target)
        if check == "visit_date":
            columns.append("last_contact_on")
    return columns


def _field_label(target: str) -> str:
    return (
        {
            "source": _("source channel"),
            "project": _("project"),
            "mobile": _("mobile"),
            "id_number": _("ID number"),
            "address": _("Address"),
        }.get(target)
        or _card_labels().get(target)
        or _kind_labels().get(target, target)
    )


def _kind_labels() -> dict[str, str]:
    labels: dict[str, str] = {}
    for spec in KINDS.values():
        if spec.labels is not None:
            labels.update(spec.labels())
    return labels


def _card_labels() -> dict[str, str]:
    """The welcome card's fields beyond the basic ones, named as on the card's form."""
    ordinals = {
        "visit_2": _("Second visit"),
        "visit_3": _("Third visit"),
        "visit_4": _("Fourth visit"),
        "visit_5": _("Fifth visit"),
        "visit_6": _("Sixth visit"),
    }
    return {
        "budget_wan": _("Budget (10k yuan)"),
        "purpose": _("Purpose"),
        "timeframe": _("Purchase timeframe"),
        "unit_nature": _("Employer type"),
        "age_band": _("Age band"),
        "housing": _("Current housing"),
        "awareness": _("Awareness channel"),
        "area_band": _("Intended area"),
        "price_band": _("Accepted price"),
        "income_band": _("Household monthly income"),
        "customer_type": _("Customer type"),
        "need": _("Need"),
        "district": _("Intended district"),
        "consultant": _("Consultant"),
        "progress": _("Progress"),
        "is_scout": _("Competitor's scout"),
        **ordinals,
    }


def field_labels(kind: str = "prospect") -> dict[str, str]:
    labels = {
        "name": _("Name"),
        "mobile": _("Mobile"),
        "landline": _("Landline"),
        "grade": _("Grade"),
        "source": _("Source channel"),
        "project": _("Intended project"),
        "first_visit_on": _("First visit date"),
        "id_number": _("ID number"),
        "address": _("Address"),
        "notes": _("Notes"),
        **_card_labels(),
    }
    if KINDS[kind].labels is not None:
        labels.update(KINDS[kind].labels())
    return {target: labels[target] for target in KINDS[kind].fields}
