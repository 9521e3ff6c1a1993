"""People see labels and Beijing time: no column codes in changes, no role/action/outcome/
record-type codes in the access log, no UTC and no seconds (issue 25)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect

from core import clock
from extensions import db
from models.shared.approvals import ChangeRequest
from services.shared import approvals as shared_approvals
from services.shared.approval_policy import POLICIES
from tests.factories import make_prospect, make_user
from tests.web.shared.test_chinese_interface import _Texts
from views.shared import approvals, formatters

pytestmark = pytest.mark.instant()

#: "UTC" as a word: a page's random CSRF token may hold the letters (…4KUTCnAy…).
UTC_WORD = re.compile(r"\bUTC\b")


def _texts(html: str) -> set[str]:
    reader = _Texts()
    reader.feed(html)
    return set(reader.found)


# --- the time filter ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        # around midnight in Shanghai (16:00 UTC)
        (datetime(2026, 12, 5, 15, 59, 59, 999999), "2026-12-05 23:59"),
        (datetime(2026, 12, 5, 16, 0, 0), "2026-12-06 00:00"),
        (datetime(2026, 12, 5, 16, 30, 12, 345678), "2026-12-06 00:30"),
        # around the UTC date change (08:00 in Shanghai)
        (datetime(2026, 12, 5, 23, 59), "2026-12-06 07:59"),
        (datetime(2026, 12, 6, 0, 0, 1), "2026-12-06 08:00"),
        # the year turns earlier in Shanghai
        (datetime(2026, 12, 31, 16, 0), "2027-01-01 00:00"),
        # an aware moment keeps its own zone
        (datetime(2026, 12, 6, 8, 0, tzinfo=timezone(timedelta(hours=8))), "2026-12-06 08:00"),
        (datetime(2026, 12, 6, 0, 0, tzinfo=UTC), "2026-12-06 08:00"),
        (date(2026, 12, 6), "2026-12-06"),
        (None, ""),
    ],
)
def test_office_time_is_beijing_to_the_minute(stored, shown):
    assert clock.office_time(stored) == shown


def test_a_window_that_spans_days_says_so():
    same_day = clock.office_window(datetime(2026, 12, 5, 8, 0), datetime(2026, 12, 5, 9, 0))
    assert same_day == "2026-12-05 16:00 – 17:00"
    # 16:00 to 16:00 the next day in Shanghai: the end shows its date.
    spans = clock.office_window(datetime(2026, 12, 5, 8, 0), datetime(2026, 12, 6, 8, 0))
    assert spans == "2026-12-05 16:00 – 2026-12-06 16:00"


# --- labels instead of codes ----------------------------------------------------------------


def test_every_changeable_column_has_a_label_not_its_code(app):
    with app.test_request_context():
        for record_type in POLICIES:
            model = shared_approvals.RECORD_MODELS[record_type]
            for column in (attr.key for attr in inspect(model).column_attrs):
                label = approvals.field_label(record_type, column)
                assert label != column and "_" not in label, (record_type, column, label)
        assert approvals.field_label("household_member", "change_reason_id") not in (
            "change_reason_id",
            approvals.field_label("household_member", "no_such_column"),
        )


def test_flags_in_a_change_read_yes_or_no(app):
    with app.test_request_context():
        assert approvals.change_value_label("is_active", "True") == "是"
        assert approvals.change_value_label("is_active", "False") == "否"
        assert approvals.change_value_label("name", "Wang") == "Wang"
        assert formatters.yes_no(None, True, "x") == "是"


def _change_request(app, requested_at) -> int:
    with app.app_context():
        prospect = make_prospect(db.session)
        clerk = make_user(db.session, "clerk", username="filer")
        db.session.flush()
        change = ChangeRequest(
            record_type="prospect",
            record_id=prospect.id,
            office_id=prospect.office_id,
            record_version=1,
            kind="update",
            changes={
                "source_id": {
                    "old": 1,
                    "new": 2,
                    "old_label": "A",
                    "new_label": "B",
                    "field": "source",
                },
                "is_scout": {
                    "old": False,
                    "new": True,
                    "old_label": "False",
                    "new_label": "True",
                    "field": "is_scout",
                },
            },
            reason="typo",
            requested_by_id=clerk.id,
            requested_at=requested_at,
        )
        db.session.add(change)
        db.session.commit()
        return change.id


def test_approval_pages_show_labels_and_beijing_time(app, client, login_as):
    # 2026-11-24 17:05:09 UTC is 2026-11-25 01:05 in Beijing.
    request_id = _change_request(app, datetime(2026, 11, 24, 17, 5, 9, 123456))
    login_as("supervisor")
    for url in ("/admin/approvals/", f"/admin/approvals/{request_id}/"):
        page = client.get(url).get_data(as_text=True)
        assert "2026-11-25 01:05" in page, url
        assert "2026-11-24 17:05" not in page and not UTC_WORD.search(page), url
        assert "source_id" not in page and "is_scout" not in page, url
        texts = _texts(page)
        assert not texts & {"True", "False"}, url


def test_access_log_and_record_panel_show_labels(app, client, login_as):
    with app.app_context():
        prospect_id = make_prospect(db.session).id
        db.session.commit()
    login_as("admin")
    client.get(f"/admin/prospect/details/?id={prospect_id}")
    codes = {"admin", "details", "prospect", "ok", "list"}
    log = _texts(client.get("/admin/audit/").get_data(as_text=True))
    assert not log & codes, log & codes
    assert {"系统管理员", "成功"} <= log
    details = client.get(f"/admin/prospect/details/?id={prospect_id}").get_data(as_text=True)
    assert not UTC_WORD.search(details)
    assert not _texts(details) & codes
    # The panels read after the page ("who looked" lists the looks above by their labels).
    panels = f"/admin/prospect/details/panels/?id={prospect_id}&partial=1"
    panels = client.get(panels).get_data(as_text=True)
    assert 'id="access-panel"' in panels and not UTC_WORD.search(panels)
    assert not _texts(panels) & (codes | {"details_panels"})


def test_details_pages_read_yes_or_no_with_our_type_formatters(app, client, login_as, monkeypatch):
    # SecureModelView takes formatters.DETAIL_TYPE_FORMATTERS (views/shared/base.py); shown here
    # on one view so the formatter itself is checked whatever the wiring.
    admin = app.extensions["admin"][0]
    view = next(v for v in admin._views if getattr(v, "endpoint", None) == "user")
    monkeypatch.setattr(view, "column_type_formatters_detail", formatters.DETAIL_TYPE_FORMATTERS)
    login_as("admin")
    texts = _texts(client.get("/admin/user/details/?id=1").get_data(as_text=True))
    assert "True" not in texts and "False" not in texts
    assert "是" in texts


def test_the_access_log_export_reads_labels_and_beijing_time(app, client, login_as):
    from io import BytesIO

    from openpyxl import load_workbook

    login_as("admin")
    client.get("/admin/prospect/")
    response = client.get("/admin/audit/export/xlsx/")
    assert response.status_code == 200
    book = load_workbook(BytesIO(response.data), read_only=True)
    sheet = book.worksheets[0]
    assert sheet.title == "访问日志" or not sheet.title.isascii()
    rows = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    cells = {str(cell) for row in rows[1:] for cell in row if cell is not None}
    assert not cells & {"admin", "list", "ok", "True", "False", "prospect"}
    assert "系统管理员" in cells
    # WRITTEN_AT: 2026-11-25 10:00 in Shanghai, written to the minute
    assert any(cell.startswith("2026-11-25 10:0") and len(cell) == 16 for cell in cells)
