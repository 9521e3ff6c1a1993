"""The compliance review page: a period, its figures linking to their lists, the chain
verified, the A4 print; the admin and the outside auditor open it, and each look is logged."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from extensions import db
from models.privacy.audit import AccessEvent
from services.privacy import audit
from tests.factories import make_user

pytestmark = pytest.mark.instant()


def _export_event(app, username="supervisor7", rows=(1, 2, 3)):
    with app.app_context():
        user = make_user(db.session, "supervisor", username=username)
        audit.record(
            db.session,
            audit.Actor(user.id, user.username, user.role_code),
            "export",
            record_type="prospect",
            record_ids=list(rows),
        )
        db.session.commit()


def test_the_admin_reads_the_review_of_a_period(app, client, login_as, today):
    _export_event(app)
    login_as("admin")
    start = (today - timedelta(days=6)).isoformat()
    response = client.get(f"/admin/compliance-review/?start={start}&end={today.isoformat()}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "合规审查" in page and 'id="chain-ok"' in page
    for code in (
        "chain",
        "accesses",
        "outputs",
        "alerts",
        "requests",
        "consents",
        "retention",
        "spot_checks",
        "staff",
        "partners",
        "incidents",
    ):
        assert f'id="section-{code}"' in page, code
    # the export is a figure, and the figure is a link to the events behind it
    link = re.search(r'href="(/admin/compliance-review/rows/\?[^"]*key=export[^"]*)"', page)
    assert link, page
    rows = client.get(link.group(1).replace("&amp;", "&"))
    assert rows.status_code == 200
    listing = rows.get_data(as_text=True)
    assert "supervisor7" in listing and "导出" in listing
    with app.app_context():
        reports = db.session.scalars(
            select(AccessEvent.path).where(AccessEvent.action == "report")
        ).all()
    assert reports == ["/admin/compliance-review/", "/admin/compliance-review/rows/"]


def test_the_print_view_is_an_a4_sheet(app, client, login_as, today):
    login_as("admin")
    response = client.get(f"/admin/compliance-review/print/?start={today}&end={today}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="review-sheet"' in page and "A4" in page and "访问日志链完整" in page
    with app.app_context():
        assert db.session.scalar(select(AccessEvent.action).where(AccessEvent.action == "print"))


def test_a_wrong_period_keeps_what_was_typed_and_says_why(app, client, login_as, today):
    login_as("admin")
    later = (today + timedelta(days=3)).isoformat()
    response = client.get(f"/admin/compliance-review/?start={later}&end={today.isoformat()}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "期间的结束日早于开始日" in page and f'value="{later}"' in page
    assert client.get("/admin/compliance-review/?start=x&end=y").status_code == 400
    assert client.get("/admin/compliance-review/rows/?section=nothing&key=all").status_code == 404


@pytest.mark.parametrize("role, status", [("auditor", 200), ("supervisor", 403), ("clerk", 403)])
def test_who_opens_the_review(client, login_as, role, status, today):
    login_as(role, **({"valid_until": today} if role == "auditor" else {}))
    assert client.get("/admin/compliance-review/").status_code == status
    assert client.get("/admin/compliance-review/print/").status_code == status


def test_every_list_behind_a_figure_opens_in_chinese(app, client, login_as, today):
    from tests.web.shared.test_every_page_language import _enum_codes, chinese_page_findings

    _export_event(app)
    login_as("admin")
    page = client.get("/admin/compliance-review/").get_data(as_text=True)
    links = sorted(set(re.findall(r'href="(/admin/compliance-review/rows/\?[^"]*)"', page)))
    assert len(links) > 20
    with app.app_context():
        codes = _enum_codes()
    for link in links:
        response = client.get(link.replace("&amp;", "&"))
        assert response.status_code == 200, link
        assert not chinese_page_findings(response.get_data(as_text=True), codes), link
