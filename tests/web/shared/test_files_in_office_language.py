"""Files given to people speak the interface's language (issue 25).

The customer's copy, the lookup register export and the customer-analysis workbook are opened
with openpyxl, with the Chinese interface (the default) and with the English one: sheet names
and header rows are in that language, and no cell is True/False, a model code, "UTC" or a time
with seconds.
"""

from __future__ import annotations

import io
import re
from datetime import datetime

import pytest
from openpyxl import load_workbook

from tests.factories import make_prospect, make_visit
from tests.web.archive.test_archive_desk_views import archive_file  # noqa: F401 (fixture)
from tests.web.privacy.test_customer_copy import _register
from tests.web.sales.test_customer_analysis import office  # noqa: F401 (fixture)

pytestmark = pytest.mark.instant()

CHINESE = re.compile(r"[\u3400-\u9fff]")
SECONDS = re.compile(r"\d{1,2}:\d{2}:\d{2}")
#: A model code (read_in_room, approved_by_superior) never reaches a person; a one-word code
#: such as "requested" is also its English label, so only the Chinese files are checked for it.
CODE = re.compile(r"^[a-z]+(_[a-z]+)+$")
ONE_WORD_CODES = {"requested", "approved", "refused", "copy", "excerpt", "returned"}


def _book(response):
    assert response.status_code == 200, response.status_code
    return load_workbook(io.BytesIO(response.data))


def _values(book):
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            yield from (value for value in row if value is not None)


def _no_raw_values(book, language: str) -> None:
    for value in _values(book):
        assert not isinstance(value, bool), value
        if isinstance(value, datetime):
            assert (value.second, value.microsecond) == (0, 0), value
            continue
        text = str(value)
        assert text not in ("True", "False") and not CODE.match(text), text
        assert language == "en" or text not in ONE_WORD_CODES, text
        assert "UTC" not in text and not SECONDS.search(text), text


def _in_language(book, language: str) -> None:
    """Sheet names and header rows are Chinese (zh) or free of Chinese (en)."""
    for sheet in book.worksheets:
        headers = [str(v) for v in next(sheet.iter_rows(values_only=True), ()) if v]
        for text in [sheet.title, *headers]:
            has_chinese = bool(CHINESE.search(text))
            if language == "zh":
                assert has_chinese or not re.search(r"[A-Za-z]{3,}", text), text
            else:
                assert not has_chinese, text


def _speak(app, client, language: str) -> None:
    if language == "en":
        client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_customers_copy(app, client, login_as, language):
    from extensions import db

    with app.app_context():
        prospect = make_prospect(db.session, name="上官婉", mobile="13577778888", is_scout=False)
        make_visit(db.session, prospect, summary="带孩子来看学区", concerns="价格")
        db.session.commit()
        prospect_id = prospect.id
    login_as("clerk")
    request_id = _register(client, "copy", f"prospect:{prospect_id}")
    _speak(app, client, language)
    book = _book(client.post(f"/admin/subject_request/copy/?id={request_id}"))
    _in_language(book, language)
    _no_raw_values(book, language)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_lookup_register(app, client, login_as, archive_file, language):  # noqa: F811
    login_as("clerk")
    client.post(
        "/admin/archive-lookup/",
        data={"code": "DA-0200", "mode": "read_in_room", "days": "0", "reason": "查阅户型图"},
    )
    client.post("/logout")
    login_as("supervisor")
    _speak(app, client, language)
    book = _book(client.get("/admin/archive-register/export.xlsx"))
    _in_language(book, language)
    _no_raw_values(book, language)
    row = list(book.active.iter_rows(values_only=True))[1]
    # Filed at 10:00 Beijing time (02:00 UTC), shown as the office reads it.
    assert any(str(value).startswith("2026-11-25 10:0") for value in row), row


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_customer_analysis(app, client, login_as, office, language):  # noqa: F811
    login_as("supervisor")
    _speak(app, client, language)
    book = _book(client.get("/admin/analysis/customers/export.xlsx"))
    _in_language(book, language)
    _no_raw_values(book, language)
    summary = {row[0]: row[1] for row in book.worksheets[0].iter_rows(values_only=True)}
    made = summary["生成时间（北京时间）" if language == "zh" else "Made at (Beijing time)"]
    assert re.fullmatch(r"2026-11-25 10:\d{2}", made), made
