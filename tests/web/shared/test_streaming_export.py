"""Exports stream in batches, keep the list's order, search and masking, and are logged."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from sqlalchemy import select

from extensions import db
from models.privacy.audit import AccessEvent
from tests.factories import make_prospect
from views.shared import exports


def _cards(app, count: int) -> list[int]:
    with app.app_context():
        ids = [
            make_prospect(db.session, name=f"客户{n:02d}", mobile=f"1390000{n:04d}").id
            for n in range(count)
        ]
        db.session.commit()
    return ids


def test_csv_streams_every_row_in_list_order_masked(app, client, login_as, monkeypatch):
    monkeypatch.setattr(exports, "BATCH", 7)  # several batches from a few rows
    ids = _cards(app, 23)
    login_as("supervisor")
    response = client.get("/admin/prospect/export/csv/")
    assert response.status_code == 200 and response.is_streamed
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    column = rows[1].index(next(cell for cell in rows[1] if cell.startswith("客户")))
    names = [row[column] for row in rows[1:]]
    assert names == [f"客户{n:02d}" for n in reversed(range(23))]  # newest first, as listed
    body = response.get_data(as_text=True)
    assert "13900000001" not in body
    with app.app_context():
        event = db.session.scalars(select(AccessEvent).where(AccessEvent.action == "export")).one()
        assert sorted(map(int, event.record_ids.split(","))) == sorted(ids)


def test_export_follows_the_search_and_xlsx_opens(app, client, login_as, monkeypatch):
    monkeypatch.setattr(exports, "BATCH", 5)
    _cards(app, 12)
    login_as("supervisor")
    response = client.get("/admin/prospect/export/xlsx/?search=客户1")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    values = list(sheet.iter_rows(values_only=True))
    column = next(n for n, cell in enumerate(values[1]) if str(cell).startswith("客户"))
    assert [row[column] for row in values[1:]] == [f"客户{n:02d}" for n in (11, 10)]
    assert not any("1390000" in str(cell) for row in values for cell in row if cell)


def test_the_row_cap_comes_from_the_configuration(app, client, login_as):
    _cards(app, 6)
    login_as("supervisor")
    app.config["EXPORT_MAX_ROWS"] = 4
    try:
        body = client.get("/admin/prospect/export/csv/").get_data(as_text=True)
    finally:
        app.config["EXPORT_MAX_ROWS"] = 100_000
    assert len(list(csv.reader(io.StringIO(body)))) == 1 + 4
