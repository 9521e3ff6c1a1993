"""The customer analysis page (客户分析) through the test client: who may open it, Chinese
labels and the same numbers on the page and in the XLSX, the period form and its messages,
the access log, and the link from the supervisor's home page."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from extensions import db
from models.admin.reference import ReferenceItem, ReferenceList
from models.privacy.audit import AccessEvent
from tests.factories import make_prospect, ref_item

# Fixed dates below were written for this instant (tests/conftest.py WRITTEN_AT):
# 2026-11-25, so the default period is 2026-11-01 to 2026-11-25.
pytestmark = pytest.mark.instant()

URL = "/admin/analysis/customers/"
XLSX = URL + "export.xlsx"


@pytest.fixture
def office(app):
    """Four cards of November (three via a friends' referral, one with no channel), a scout
    and a card of October that do not count by default."""
    with app.app_context():
        session = db.session
        projects = session.scalar(select(ReferenceList).where(ReferenceList.code == "project"))
        lake = ReferenceItem(code="lake", label="湖畔花园", sort_order=1)
        hill = ReferenceItem(code="hill", label="山景苑", sort_order=2)
        projects.items.extend([lake, hill])
        session.flush()
        referral = ref_item(session, "awareness", "referral")
        tv = ref_item(session, "awareness", "tv")
        upgrade = ref_item(session, "need", "upgrade")
        for day, awareness, project in (
            (date(2026, 11, 1), referral, lake),
            (date(2026, 11, 3), referral, lake),
            (date(2026, 11, 25), referral, hill),
            (date(2026, 11, 20), None, lake),
        ):
            make_prospect(
                session,
                first_visit_on=day,
                awareness=awareness,
                project=project,
                need=upgrade,
                budget_wan=Decimal("120"),
            )
        make_prospect(session, first_visit_on=date(2026, 11, 2), awareness=tv, is_scout=True)
        make_prospect(session, first_visit_on=date(2026, 10, 31), awareness=tv, project=lake)
        session.commit()
        return {"lake": lake.id, "hill": hill.id, "referral": referral.id, "tv": tv.id}


def table(html: str, key: str) -> list[tuple[str, str, str]]:
    """The rows (label, cards, share) of one breakdown's table."""
    found = re.search(rf'<table[^>]*id="table-{key}".*?<tbody>(.*?)</tbody>', html, re.S)
    assert found, key
    return [
        tuple(re.sub(r"<[^>]+>", "", cell).strip() for cell in cells)
        for cells in (
            re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(1), re.S)
        )
    ]


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("supervisor", 200),
        ("admin", 200),
        ("clerk", 403),
        ("custodian", 403),
        ("region_manager", 403),
    ],
)
def test_who_may_open_the_analysis(client, login_as, role, status):
    login_as(role)
    assert client.get(URL).status_code == status
    assert client.get(XLSX).status_code == status


def test_anonymous_visitors_go_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response.location


def test_the_page_shows_chinese_labels_counts_and_shares(client, login_as, office):
    login_as("supervisor")
    html = client.get(URL).get_data(as_text=True)
    assert "客户分析" in html
    assert 'value="2026-11-01"' in html and 'value="2026-11-25"' in html
    assert table(html, "awareness") == [("朋友介绍", "3", "75.0%"), ("未填写", "1", "25.0%")]
    assert table(html, "project") == [("湖畔花园", "3", "75.0%"), ("山景苑", "1", "25.0%")]
    assert table(html, "budget") == [("100–150万", "4", "100.0%")]
    assert table(html, "need") == [("改善", "4", "100.0%")]
    for title in ("认知途径", "购房预算", "需求类型", "意向面积", "意向区域", "意向项目", "等级"):
        assert f"<h5>{title}</h5>" in html
    # the tables show labels, never the reference ids behind them
    for label, _count, _share in table(html, "awareness") + table(html, "project"):
        assert not label.isdigit()
    # one SVG chart per breakdown that has cards, drawn without script
    assert 'id="chart-awareness"' in html and "<script" not in html.split('id="chart-')[1][:4000]
    # the scout (TV) and the card of October (TV) are not counted
    assert "电视" not in [label for label, _n, _share in table(html, "awareness")]


def test_the_project_filter_and_the_period(client, login_as, office):
    login_as("supervisor")
    html = client.get(f"{URL}?start=2026-11-01&end=2026-11-25&project={office['lake']}").get_data(
        as_text=True
    )
    assert table(html, "project") == [("湖畔花园", "3", "100.0%")]
    assert f'<option value="{office["lake"]}" selected>' in html
    html = client.get(f"{URL}?start=2026-10-31&end=2026-10-31").get_data(as_text=True)
    assert table(html, "awareness") == [("电视", "1", "100.0%")]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2026-11-25&end=2026-11-01", "截止日期早于起始日期"),
        ("start=2025-01-01&end=2026-11-25", "时间段过长：一次最多选择 366 天"),
        ("start=2026-13-01&end=2026-11-25", "请按“年-月-日”（YYYY-MM-DD）填写日期"),
        ("start=2026-11-01&end=2026-11-25&project=99999", "请从列表中选择项目"),
    ],
)
def test_a_bad_period_gets_a_clear_message_and_keeps_what_was_typed(
    client, login_as, office, query, message
):
    login_as("supervisor")
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in html
    typed_start = re.search(r"start=([^&]*)", query).group(1)
    assert f'value="{typed_start}"' in html
    assert 'id="table-awareness"' not in html and 'id="export-xlsx"' not in html
    # the download of a bad period goes back to the page, which says what is wrong
    download = client.get(f"{XLSX}?{query}")
    assert download.status_code == 302 and "/admin/analysis/customers/" in download.location


def test_the_xlsx_has_chinese_headers_and_the_page_numbers(client, login_as, office):
    login_as("supervisor")
    html = client.get(URL).get_data(as_text=True)
    response = client.get(XLSX)
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(BytesIO(response.data))
    assert book.sheetnames == [
        "客户分析",
        "认知途径",
        "购房预算",
        "需求类型",
        "意向面积",
        "意向区域",
        "意向项目",
        "等级",
    ]
    summary = {row[0]: row[1] for row in book["客户分析"].iter_rows(values_only=True)}
    assert summary["意向项目"] == "全部项目" and summary["统计卡数"] == 4
    assert (summary["首次来访日期自"], summary["首次来访日期至"]) == ("2026-11-01", "2026-11-25")
    sheet = list(book["认知途径"].iter_rows(values_only=True))
    assert sheet[0] == ("认知途径", "卡数", "占比（%）")
    assert sheet[1:] == [("朋友介绍", 3, 75.0), ("未填写", 1, 25.0), ("合计", 4, 100.0)]
    for key, name in (("awareness", "认知途径"), ("project", "意向项目"), ("grade", "等级")):
        page = [(label, int(n), float(share.rstrip("%"))) for label, n, share in table(html, key)]
        assert list(book[name].iter_rows(values_only=True))[1:-1] == page


def test_page_and_download_are_logged_without_record_ids(app, client, login_as, office):
    login_as("supervisor")
    client.get(URL)
    client.get(XLSX)
    client.get(f"{URL}?start=2026-11-25&end=2026-11-01")  # nothing shown: nothing logged
    with app.app_context():
        events = db.session.scalars(
            select(AccessEvent)
            .where(AccessEvent.record_type == "customer_analysis")
            .order_by(AccessEvent.seq)
        ).all()
        assert [(e.action, e.record_id, e.record_ids) for e in events] == [
            ("report", None, None),
            ("export", None, None),
        ]
        assert events[0].role == "supervisor"


def test_the_supervisor_home_links_to_the_analysis(client, login_as):
    login_as("supervisor")
    html = client.get("/admin/").get_data(as_text=True)
    assert 'id="analysis-link" href="/admin/analysis/customers/"' in html


def test_english_labels_on_request(client, login_as, office):
    login_as("admin")
    client.get("/language/en")
    html = client.get(URL).get_data(as_text=True)
    assert "Customer analysis" in html
    assert ("Not filled in", "1", "25.0%") in table(html, "awareness")
