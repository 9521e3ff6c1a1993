"""The import page reads sheets as people make them: the user sees which sheet and title row
were found and may choose others; a CSV goes in; what cannot be read gets its message and
nothing is kept."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from extensions import db
from models.sales.prospects import Prospect
from services.shared import import_store
from tests.factories import ref_item
from tests.importing import HEADERS, good_row, wait_for_jobs

# Fixed dates below were written for this instant (tests/conftest.py WRITTEN_AT).
pytestmark = pytest.mark.instant()


def _workbook(rows) -> bytes:
    """A notes sheet first, then the cards under a merged report title and a blank row."""
    workbook = Workbook()
    notes = workbook.active
    notes.title = "填表说明"
    notes.append(["每行一位客户"])
    notes.append(["电话写手机号"])
    cards = workbook.create_sheet("客户")
    cards.append(["2026年3月来访登记"])
    cards.merge_cells("A1:F1")
    cards.append([])
    cards.append(HEADERS)
    for row in rows:
        cards.append(row)
    data = io.BytesIO()
    workbook.save(data)
    return data.getvalue()


def _upload(client, data: bytes, name="cards.xlsx", follow=False):
    return client.post(
        "/admin/import/",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        follow_redirects=follow,
    )


def _token(response) -> str:
    return response.headers["Location"].rstrip("/").split("/")[-2]


def _map_all(client, token):
    data = {
        f"col_{t}": str(i)
        for t, i in zip(
            ("name", "mobile", "grade", "source", "first_visit_on", "notes"), range(6), strict=True
        )
    }
    response = client.post(f"/admin/import/{token}/map", data=data)
    wait_for_jobs(client.application)
    return response


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Prospect.id)))


@pytest.fixture
def walk_in(app):
    with app.app_context():
        ref_item(db.session, "source_channel", "walk_in")  # 来访
        db.session.commit()


def test_the_found_sheet_and_title_row_are_shown_and_can_be_changed(app, client, login_as, walk_in):
    login_as("clerk")
    bad = good_row(2)
    bad[4] = "3/4/2026"  # ambiguous: refused with its row and value
    token = _token(_upload(client, _workbook([good_row(1), bad, good_row(3)])))
    page = client.get(f"/admin/import/{token}/map").get_data(as_text=True)
    assert 'id="layout-form"' in page
    assert '<option value="客户" selected>客户</option>' in page  # the sheet with the titles
    assert '<option value="填表说明" >填表说明</option>' in page
    assert 'value="3" selected' in page and "第 3 行：客户姓名, 手机" in page
    assert 'id="no-titles-found"' not in page

    # another sheet: its first filled row, with a warning that no titles were found
    response = client.post(
        f"/admin/import/{token}/map", data={"reread": "1", "sheet": "填表说明", "header_row": "3"}
    )
    assert response.status_code == 302
    page = client.get(f"/admin/import/{token}/map").get_data(as_text=True)
    assert '<option value="填表说明" selected>' in page and 'id="no-titles-found"' in page
    assert "每行一位客户" in page  # now the only column title

    # back to the cards, and the title row chosen by hand
    client.post(
        f"/admin/import/{token}/map", data={"reread": "1", "sheet": "客户", "header_row": ""}
    )
    client.post(
        f"/admin/import/{token}/map", data={"reread": "1", "sheet": "客户", "header_row": "1"}
    )
    page = client.get(f"/admin/import/{token}/map").get_data(as_text=True)
    assert 'value="1" selected' in page and "2026年3月来访登记" in page
    client.post(
        f"/admin/import/{token}/map", data={"reread": "1", "sheet": "客户", "header_row": "3"}
    )

    _map_all(client, token)
    preview = client.get(f"/admin/import/{token}/preview").get_data(as_text=True)
    assert "工作表 客户，列标题在第 3 行。" in preview and 'id="change-layout"' in preview
    assert "共 3 行：2 行可导入，1 行被拒。" in preview
    assert "<td>5</td>" in preview  # the refused row, numbered as in Excel
    assert "3/4/2026" in preview and "有歧义" in preview
    client.post(f"/admin/import/{token}/run", data={"consent_given": "y", "skip_rejected": "y"})
    wait_for_jobs(app)
    assert _count(app) == 2
    with app.app_context():
        assert set(db.session.scalars(select(Prospect.name))) == {"客户1", "客户3"}


def test_a_choice_the_file_cannot_meet_keeps_the_page(app, client, login_as, walk_in):
    login_as("clerk")
    token = _token(_upload(client, _workbook([good_row(1)])))
    page = client.post(
        f"/admin/import/{token}/map",
        data={"reread": "1", "sheet": "客户", "header_row": "2"},  # the blank row
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "第 2 行是空行" in page and 'value="3" selected' in page
    refused = client.post(f"/admin/import/{token}/map", data={"reread": "1", "sheet": "别的表"})
    assert refused.status_code == 400
    client.post("/logout")
    login_as("clerk", username="another_clerk")
    other = client.post(f"/admin/import/{token}/map", data={"reread": "1", "sheet": "客户"})
    assert other.status_code == 404


def test_a_row_of_data_chosen_as_titles_shows_its_numbers_masked(app, client, login_as):
    login_as("clerk")
    row = good_row(1)
    row[5] = "110105198001010015"
    token = _token(_upload(client, _workbook([row, good_row(2)])))
    client.post(
        f"/admin/import/{token}/map", data={"reread": "1", "sheet": "客户", "header_row": "4"}
    )
    page = client.get(f"/admin/import/{token}/map").get_data(as_text=True)
    assert 'value="4" selected' in page and "客户1" in page
    assert "139****0001" in page and "110105********0015" in page
    assert "13900000001" not in page and "110105198001010015" not in page


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig"])
def test_a_csv_is_imported(app, client, login_as, walk_in, encoding):
    login_as("clerk")
    lines = [",".join(HEADERS)] + [",".join(good_row(n)) for n in (1, 2)]
    data = ("\r\n".join(lines) + "\r\n").encode(encoding)
    token = _token(_upload(client, data, name="来访.csv"))
    page = client.get(f"/admin/import/{token}/map").get_data(as_text=True)
    assert "客户姓名" in page and 'id="sheet"' not in page
    _map_all(client, token)
    preview = client.get(f"/admin/import/{token}/preview").get_data(as_text=True)
    assert "共 2 行：2 行可导入，0 行被拒。" in preview and "列标题在第 1 行。" in preview
    client.post(f"/admin/import/{token}/run", data={"consent_given": "y"})
    wait_for_jobs(app)
    with app.app_context():
        assert set(db.session.scalars(select(Prospect.name))) == {"客户1", "客户2"}


def _ole(*names: str) -> bytes:
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16 + b"\x3e\x00\x03\x00").ljust(
        512, b"\x00"
    )
    directory = b"".join(
        (n.encode("utf-16-le") + b"\x00\x00").ljust(128, b"\x00") for n in ("Root Entry", *names)
    )
    return header + directory


def _empty_sheet() -> bytes:
    data = io.BytesIO()
    Workbook().save(data)
    return data.getvalue()


def _titles_only() -> bytes:
    data = io.BytesIO()
    workbook = Workbook()
    workbook.active.append(HEADERS)
    workbook.save(data)
    return data.getvalue()


def _corrupt_zip() -> bytes:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>" * 50)
    return data.getvalue()[:40]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (_ole("Workbook"), "old.xls", "旧版 Excel .xls 文件"),
        (_ole("EncryptionInfo", "EncryptedPackage"), "locked.xlsx", "密码保护"),
        (_corrupt_zip(), "broken.xlsx", "文件已损坏"),
        (_empty_sheet(), "empty.xlsx", "是空的"),
        (_titles_only(), "titles.xlsx", "其下方没有任何数据行"),
        (b"\xff\xfe\x00\x00" * 10, "odd.csv", "不是 CSV"),
        (b"", "nothing.xlsx", "文件是空的"),
    ],
    # named by the file: a built zip's bytes hold its time, and xdist's workers must collect
    # the same test ids
    ids=lambda value: value if isinstance(value, str) and "." in value else "",
)
def test_what_cannot_be_read_gets_its_message_and_nothing_is_kept(
    app, client, login_as, content, name, message
):
    login_as("clerk")
    folder = import_store.upload_folder(app.config, app.instance_path)
    before = set(folder.iterdir())
    page = _upload(client, content, name=name, follow=True).get_data(as_text=True)
    assert message in page and "alert-" in page
    assert set(folder.iterdir()) == before


def test_a_file_over_the_size_limit_is_refused(app, client, login_as):
    login_as("clerk")
    app.config["IMPORT_MAX_BYTES"] = 1024 * 1024
    try:
        page = _upload(client, b"a,b\r\n" * 300_000, name="big.csv", follow=True)
    finally:
        app.config.pop("IMPORT_MAX_BYTES")
    assert "文件超过 1 MB" in page.get_data(as_text=True)
