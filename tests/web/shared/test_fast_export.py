"""The fast export path (plain tuples, cells by column) writes the file the per-row path
writes, cell for cell; XLSX streams without a temporary file; scope and order hold."""

from __future__ import annotations

import csv
import io
import os
import tempfile
import zipfile
from datetime import datetime
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from openpyxl import Workbook, load_workbook

from extensions import db
from models.property.property import Tenant
from tests.factories import make_prospect, make_user, ref_item
from tests.web.second_office import MARK_B, make_office_b
from views.shared import exports

#: Every kind of column: encrypted and masked (mobile, landline), encrypted free text
#: (notes), a reference (source), a consultant, a value formatter over a choice (grade),
#: a choice (progress), a flag, a date, a null date, a moment (Beijing time), a decimal.
PROSPECT_COLUMNS = (
    "id",
    "name",
    "mobile",
    "landline",
    "notes",
    "source",
    "consultant",
    "grade",
    "progress",
    "is_scout",
    "first_visit_on",
    "last_contact_on",
    "created_at",
    "budget_wan",
)


def _view(app, endpoint):
    return next(v for v in app.extensions["admin"][0]._views if v.endpoint == endpoint)


def _with_columns(app, monkeypatch, endpoint, names):
    view = _view(app, endpoint)
    monkeypatch.setattr(view, "_export_columns", [(name, name) for name in names])
    return view


def _cards(app):
    with app.app_context():
        consultant = make_user(db.session, "clerk", username="fast_consultant", full_name="张顾问")
        for n in range(9):
            make_prospect(
                db.session,
                name=f"=客户{n}" if n == 3 else f"客户{n}",
                mobile=f"1390000{n:04d}",
                landline="010-8888" + f"{n:04d}" if n % 2 else None,
                notes="+1 来电" if n == 4 else (None if n % 3 else f"备注{n}"),
                grade=(None, "A", "B", "C")[n % 4],
                progress="follow_up",
                is_scout=n == 5,
                consultant=consultant if n % 2 else None,
                source=ref_item(db.session, "source_channel", "walk_in") if n != 2 else None,
                last_contact_on=None,
                budget_wan=Decimal("120.5") if n % 2 else None,
                created_at=datetime(2026, 12, 5, 16, 30 + n),  # UTC: 00:3x next day in Beijing
            )
        db.session.commit()


def _openpyxl_stream(title, titles, batches):
    # What the exporter wrote before issue 21: openpyxl's write-only workbook.
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title)
    sheet.append(titles)
    for batch in batches:
        for row in batch:
            sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    yield buffer.getvalue()


def _both(client, monkeypatch, url, *, openpyxl_before=False):
    """The file of the per-row path (written by openpyxl, as before issue 21, if asked),
    then the fast path's."""
    with monkeypatch.context() as patch:
        patch.setattr(exports, "FAST_PATH", False)
        if openpyxl_before:
            patch.setattr(exports, "xlsx_stream", _openpyxl_stream)
        slow = client.get(url).get_data()
    fast = client.get(url).get_data()
    return slow, fast


def _sheet(body):
    return list(load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True))


def test_the_main_lists_take_the_fast_path(app):
    with app.test_request_context():
        for endpoint in ("prospect", "tenant", "lease", "ownership", "transfer", "dealer"):
            assert exports.fast_plan(_view(app, endpoint)) is not None, endpoint


def test_fast_csv_and_xlsx_equal_the_per_row_files(app, client, login_as, monkeypatch):
    _cards(app)
    login_as("supervisor")
    view = _with_columns(app, monkeypatch, "prospect", PROSPECT_COLUMNS)
    monkeypatch.setattr(exports, "FAST_BATCH", 4)
    with app.test_request_context():
        assert exports.fast_plan(view) is not None

    slow, fast = _both(client, monkeypatch, "/admin/prospect/export/csv/")
    assert fast == slow
    rows = list(csv.reader(io.StringIO(fast.decode("utf-8-sig"))))
    assert len(rows) == 10
    body = fast.decode("utf-8")
    assert "13900000001" not in body and "139****0001" in body  # masked
    assert "010-****0001" in body  # a landline keeps its area code
    assert "'=客户3" in body and "'+1 来电" in body  # formula-safe, decrypted
    assert "2026-12-06 00:33" in body  # Beijing time to the minute
    assert "True" not in body and "False" not in body

    slow, fast = _both(client, monkeypatch, "/admin/prospect/export/xlsx/", openpyxl_before=True)
    assert _sheet(fast) == _sheet(slow)
    assert len(_sheet(fast)) == 10


def test_an_id_number_is_masked_the_same(app, client, login_as, monkeypatch):
    with app.app_context():
        for n in range(3):
            db.session.add(
                Tenant(
                    name=f"租户{n}", mobile=f"1370000{n:04d}", id_number=f"11010519900101{n:03d}X"
                )
            )
        db.session.commit()
    login_as("supervisor")
    _with_columns(app, monkeypatch, "tenant", ("id", "name", "mobile", "id_number", "notes"))
    slow, fast = _both(client, monkeypatch, "/admin/tenant/export/csv/")
    assert fast == slow
    assert "110105********001X" in fast.decode("utf-8")


def test_xlsx_leaves_no_file_on_disk(app, client, login_as, monkeypatch, tmp_path):
    _cards(app)
    login_as("supervisor")

    def refused(*args, **kwargs):
        raise AssertionError("an export must not write a temporary file")

    for name in ("TemporaryFile", "SpooledTemporaryFile", "NamedTemporaryFile", "mkstemp"):
        monkeypatch.setattr(tempfile, name, refused)
    # this process's temporary folder of its own: the system one also gets the files other
    # test workers write meanwhile (openpyxl's, when a test builds a workbook)
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    response = client.get("/admin/prospect/export/xlsx/", buffered=False)
    chunks = response.iter_encoded()
    first = next(chunks)
    assert first.startswith(b"PK")  # the zip's first part leaves before the rows are read
    during = os.listdir(tempfile.gettempdir())
    body = first + b"".join(chunks)
    assert tempfile.gettempdir() == str(private) and during == []
    values = _sheet(body)
    assert len(values) == 10
    assert values[0][0]  # the titles
    with zipfile.ZipFile(io.BytesIO(body)) as archive:  # every part well-formed XML
        assert archive.testzip() is None
        for name in archive.namelist():
            ElementTree.fromstring(archive.read(name))  # noqa: S314 (our own file)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_scope_search_and_sort_as_the_list(app, client, login_as, monkeypatch, kind):
    _cards(app)
    with app.app_context():
        office = make_office_b(db.session)
        make_prospect(db.session, name=f"{MARK_B}客户", office_id=office.id)
        db.session.commit()
    login_as("supervisor")
    view = _view(app, "prospect")
    index = next(n for n, (name, _title) in enumerate(view._list_columns) if name == "name")
    assert "name" in view._sortable_columns
    url = f"/admin/prospect/export/{kind}/?search=客户&sort={index}"
    slow, fast = _both(client, monkeypatch, url)
    if kind == "csv":
        assert fast == slow
        text = fast.decode("utf-8-sig")
        names = [row[1] for row in list(csv.reader(io.StringIO(text)))[1:]]
    else:
        assert _sheet(fast) == _sheet(slow)
        names = [row[1] for row in _sheet(fast)[1:]]
    assert not any(MARK_B in name for name in names)  # another office's card is not exported
    assert names == ["'=客户3", *(f"客户{n}" for n in (0, 1, 2, 4, 5, 6, 7, 8))]


@pytest.mark.parametrize(
    "key",
    [
        "owner",  # current_units: a record column, computed on the loaded records
        "unit",  # current_owner: likewise
        "ownership",
        "household_member",
        "tenant",
        "lease",
        "resident_card",
        "vehicle_card",
        "parking_space",
    ],
)
def test_every_property_export_equals_the_per_row_file(app, client, login_as, monkeypatch, key):
    from tests.web.property.test_property_views import make_everything

    with app.app_context():
        for suffix in ("", "-2", "-3"):
            make_everything(db.session, suffix=suffix)
        db.session.commit()
    login_as("supervisor")
    monkeypatch.setattr(exports, "FAST_BATCH", 2)
    with app.test_request_context():
        assert exports.fast_plan(_view(app, key)) is not None
    slow, fast = _both(client, monkeypatch, f"/admin/{key}/export/csv/")
    assert fast == slow
    assert len(list(csv.reader(io.StringIO(fast.decode("utf-8-sig"))))) == 4
    slow, fast = _both(client, monkeypatch, f"/admin/{key}/export/xlsx/", openpyxl_before=True)
    assert _sheet(fast) == _sheet(slow)
