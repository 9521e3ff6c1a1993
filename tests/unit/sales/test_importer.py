"""The welcome-card import: mapping guess, row checks, all or nothing, broken files."""

from __future__ import annotations

from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from extensions import db
from models.privacy.audit import AccessEvent
from models.sales.prospects import Prospect
from services.shared import importer
from tests.factories import make_prospect, make_user, ref_item
from tests.importing import HEADERS, good_row, write_xlsx

# Fixed dates below were written for this instant (tests/conftest.py WRITTEN_AT).
pytestmark = pytest.mark.instant()
#: The basis stated for a whole file (the import page asks for it).
CONSENT = importer.ConsentBasis("consent", "购房咨询", "2026-01")


@pytest.fixture
def s(app):
    with app.app_context():
        ref_item(db.session, "source_channel", "walk_in")  # label 来访 in the standard list
        yield db.session
        db.session.rollback()


def _mapping():
    return importer.guess_mapping(HEADERS)


def test_mapping_is_guessed_from_chinese_and_english_titles():
    assert importer.guess_mapping(HEADERS) == {
        "name": 0,
        "mobile": 1,
        "grade": 2,
        "source": 3,
        "first_visit_on": 4,
        "notes": 5,
    }
    assert importer.guess_mapping(["Name", "Mobile", "Project"]) == {
        "name": 0,
        "mobile": 1,
        "project": 2,
    }


def test_every_kind_of_row_error_is_reported(s, tmp_path):
    make_prospect(s, name="老客户", mobile="13900000009")
    rows = [
        good_row(1),
        ["", "13900000002", "B", "来访", "2026-03-01", ""],  # no name
        ["甲", "1390000", "B", "来访", "2026-03-01", ""],  # bad mobile
        ["乙", "13900000004", "E", "来访", "2026-03-01", ""],  # bad grade
        ["丙", "13900000005", "B", "飞鸽传书", "2026-03-01", ""],  # unknown source
        ["丁", "13900000006", "B", "来访", "03/32/2026", ""],  # bad date
        ["戊", "13900000001", "B", "来访", "2026-03-01", ""],  # same as row 2 of the file
        ["己", "13900000009", "B", "来访", "2026-03-01", ""],  # already a customer
    ]
    report = importer.check_file(s, write_xlsx(tmp_path / "a.xlsx", rows), _mapping())
    assert (report.total, report.valid, report.rejected_count) == (8, 1, 7)
    by_row = {r.row_number: " ".join(r.errors) for r in report.rejected}
    assert set(by_row) == {3, 4, 5, 6, 7, 8, 9}
    assert "Name" in by_row[3] or "姓名" in by_row[3]
    assert "1390000" in by_row[4]
    assert "E" in by_row[5]
    assert "飞鸽传书" in by_row[6]
    assert "03/32/2026" in by_row[7]
    assert "与本文件第 2 行的手机号相同" in by_row[8]
    assert "139****0009" in by_row[9] and "13900000009" not in by_row[9]


def test_a_bad_row_in_the_middle_imports_nothing(s, tmp_path):
    user = make_user(s, "clerk")
    s.commit()
    rows = [good_row(n) for n in range(1, 2501)]
    rows[1200][1] = "12345"
    path = write_xlsx(tmp_path / "b.xlsx", rows)
    with pytest.raises(importer.RowsRejected):
        importer.import_file(s, user, path, _mapping(), skip_rejected=False, consent=CONSENT)
    s.rollback()
    assert s.scalar(select(func.count(Prospect.id))) == 0
    outcome = importer.import_file(s, user, path, _mapping(), skip_rejected=True, consent=CONSENT)
    s.commit()
    assert (outcome.inserted, outcome.skipped) == (2499, 1)
    card = s.scalars(select(Prospect).where(Prospect.name == "客户1")).one()
    assert (card.mobile, card.grade, card.first_visit_on, card.consultant_id) == (
        "13900000001",
        "B",
        date(2026, 3, 1),
        user.id,
    )
    assert card.created_by_id == user.id and card.version == 1
    events = s.scalars(select(AccessEvent).where(AccessEvent.action == "import")).all()
    assert len(events) == 3 and all(e.user_id == user.id for e in events)


def test_rejected_rows_come_back_with_their_errors(s, tmp_path):
    rows = [good_row(1), ["", "139", "Z", "", "", "x"]]
    report = importer.check_file(s, write_xlsx(tmp_path / "c.xlsx", rows), _mapping())
    out = importer.rejected_workbook(report, tmp_path / "rejected.xlsx")
    sheet = load_workbook(out, read_only=True).worksheets[0]
    back = list(sheet.iter_rows(values_only=True))
    assert list(back[0][: len(HEADERS)]) == HEADERS and back[0][-1]
    assert back[1][1] == "139" and back[1][-1]


@pytest.mark.parametrize(
    "content",
    [b"", b"not a spreadsheet at all", b"PK\x03\x04junk" * 100, b"\xd0\xcf\x11\xe0old xls"],
)
def test_broken_files_get_a_clear_message(s, tmp_path, content):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(content)
    with pytest.raises(importer.ImportFileError) as caught:
        importer.check_file(s, path, _mapping())
    assert caught.value.message


def test_a_sheet_without_titles_is_refused(s, tmp_path):
    path = write_xlsx(tmp_path / "empty.xlsx", [], headers=[None, None])
    with pytest.raises(importer.ImportFileError):
        importer.open_rows(path)


def _id_number(n: int) -> str:
    body = f"11010519800101{n:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


def test_owner_lists_check_id_numbers_and_duplicates(s, tmp_path):
    from models.property.property import Owner

    user = make_user(s, "clerk")
    s.add(Owner(name="老业主", id_number=_id_number(9)))
    s.commit()
    headers = ["业主姓名", "手机", "身份证号", "联系地址"]
    rows = [
        ["甲", "13900000001", _id_number(1), "一区1栋"],
        ["乙", "13900000002", _id_number(2)[:-1] + "0", "一区2栋"],  # bad checksum
        ["丙", "13900000003", _id_number(1), "一区3栋"],  # same ID as row 2
        ["丁", "13900000004", _id_number(9), "一区4栋"],  # ID already on file
        ["戊", 13900000005.0, None, None],  # a phone Excel stored as a number
    ]
    path = write_xlsx(tmp_path / "owners.xlsx", rows, headers=headers)
    mapping = importer.guess_mapping(headers, "owner")
    assert mapping == {"name": 0, "mobile": 1, "id_number": 2, "address": 3}
    report = importer.check_file(s, path, mapping, kind="owner")
    assert (report.valid, sorted(r.row_number for r in report.rejected)) == (2, [3, 4, 5])
    # the owner on file is named by a masked number, never the whole of it
    (on_file,) = [r for r in report.rejected if r.row_number == 5]
    message = " ".join(str(e) for e in on_file.errors)
    assert _id_number(9)[:6] in message and _id_number(9) not in message
    outcome = importer.import_file(
        s, user, path, mapping, skip_rejected=True, kind="owner", consent=CONSENT
    )
    s.commit()
    assert outcome.inserted == 2
    owner = s.scalars(select(Owner).where(Owner.name == "戊")).one()
    assert owner.mobile == "13900000005" and owner.created_by_id == user.id


@pytest.mark.parametrize(
    ("role", "owns"), [("clerk", True), ("supervisor", False), ("admin", False)]
)
def test_imported_cards_belong_to_the_importer_only_when_they_receive_customers(
    s, tmp_path, role, owns
):
    user = make_user(s, role)
    s.commit()
    path = write_xlsx(tmp_path / "c.xlsx", [good_row(1)])
    importer.import_file(s, user, path, _mapping(), skip_rejected=False, consent=CONSENT)
    card = s.scalars(select(Prospect)).one()
    assert card.consultant_id == (user.id if owns else None)
