"""The import's fast paths give what the slow ones gave: the sheet's values as openpyxl
reads them, and the new ids of a bulk insert in the rows' order."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from extensions import db
from models.privacy.privacy import ConsentRecord
from models.sales.prospects import Prospect, Visit
from services.shared import importer, sheet_reader
from tests.factories import make_user, ref_item
from tests.importing import HEADERS, good_row, write_xlsx

pytestmark = pytest.mark.instant()
CONSENT = importer.ConsentBasis("consent", "购房咨询", "2026-01")


@pytest.fixture
def s(app):
    with app.app_context():
        ref_item(db.session, "source_channel", "walk_in")
        yield db.session
        db.session.rollback()


def _openpyxl_values(path, width):
    book = load_workbook(path, read_only=True, data_only=True)
    try:
        return list(book.worksheets[0].iter_rows(values_only=True, max_col=width))
    finally:
        book.close()


def _fast_values(path, width):
    book = sheet_reader._load_workbook(path)
    try:
        return list(sheet_reader._sheet_values(book.worksheets[0], width))
    finally:
        book.close()


@pytest.mark.parametrize("write_only", [True, False])
def test_the_fast_reader_reads_what_openpyxl_reads(tmp_path, write_only):
    # write-only: inline strings, no <dimension>; a normal save: shared strings, a dimension
    rows = [
        ["客户", 13900000001, 1.5, True, date(2026, 3, 1), datetime(2026, 3, 1, 9, 30), None],
        [None, None, None, None, None, None, None],
        ["  空格 ", "=1+1", "", "第二次", 0, False, "备注"],
    ]
    book = Workbook(write_only=write_only)
    sheet = book.create_sheet() if write_only else book.active
    for row in rows:
        sheet.append(row)
    if not write_only:
        sheet["J9"] = "far"  # a gap of rows, a cell past the others
    path = tmp_path / "values.xlsx"
    book.save(path)
    for width in (3, 7, 12):
        assert _fast_values(path, width) == _openpyxl_values(path, width)


def test_a_dimension_cuts_the_rows_as_in_openpyxl(tmp_path):
    book = Workbook()
    book.active.append(["a"])
    book.active.append(["b"])
    path = tmp_path / "dim.xlsx"
    book.save(path)
    fast = sheet_reader._load_workbook(path).worksheets[0]
    plain = load_workbook(path, read_only=True).worksheets[0]
    assert (fast.max_row, fast.max_column) == (plain.max_row, plain.max_column) == (2, 1)


def test_bulk_ids_come_back_in_the_rows_order(s, tmp_path):
    rows = [good_row(n) for n in range(1, 2501)]
    path = write_xlsx(tmp_path / "many.xlsx", rows, headers=HEADERS)
    user = make_user(s, role="clerk")
    outcome = importer.import_file(
        s,
        user,
        path,
        importer.guess_mapping(HEADERS),
        skip_rejected=False,
        consent=CONSENT,
    )
    assert outcome.inserted == 2500
    cards = s.execute(select(Prospect.id, Prospect.name, Prospect.mobile)).all()
    by_name = {name: (card_id, mobile) for card_id, name, mobile in cards}
    for row in rows:
        card_id, mobile = by_name[row[0]]
        assert mobile == str(row[1])
    # each card has its consent and its first reception, linked by its own id
    ids = {card_id for card_id, _n, _m in cards}
    prospects = ConsentRecord.subject_type == "prospect"
    consents = s.scalars(select(ConsentRecord.subject_id).where(prospects))
    assert set(consents) == ids
    visits = s.execute(select(Visit.prospect_id, Visit.seq)).all()
    assert sorted(v[0] for v in visits) == sorted(ids) and {v[1] for v in visits} == {1}
