"""The admin's "Office settings" page: a changed recheck interval changes the custodian's
recheck list; other roles are refused; a refused value comes back as typed with a message."""

from __future__ import annotations

from datetime import date

import pytest

from extensions import db
from models.admin.office_settings import OfficeSetting
from models.archive.archives import ArchiveFile
from services.admin import office_settings
from tests.factories import PASSWORD

# Fixed dates below were written for this instant (2026-11-25 10:00 in Shanghai).
pytestmark = pytest.mark.instant()

URL = "/admin/office-settings/"
RECHECK_URL = f"{URL}archive_recheck_days/"


def _files(app) -> None:
    with app.app_context():
        for code, checked in (("HALF", date(2026, 7, 1)), ("FRESH", date(2026, 10, 1))):
            db.session.add(
                ArchiveFile(code=code, title=f"档案{code}", room="一号室", last_checked_on=checked)
            )
        db.session.commit()


def test_the_admin_shortens_the_recheck_interval_and_the_list_follows(app, client, login_as):
    _files(app)
    login_as("custodian", username="os_custodian")
    page = client.get("/admin/archive-recheck/").get_data(as_text=True)
    # 1 July is 147 days before 25 November: not due at 180 days.
    assert 'data-file="HALF"' not in page and "180" in page

    client.post("/logout")
    login_as("admin", username="os_admin", full_name="系统管理员")
    page = client.get(URL).get_data(as_text=True)
    assert "办公设置" in page and "档案定期复核间隔" in page
    assert 'data-setting="archive_recheck_days"' in page
    assert "30 至 730 天" in page and "未修改过" in page
    response = client.post(
        RECHECK_URL,
        data={
            "archive_recheck_days-value": "90",
            "archive_recheck_days-reason": "档案室改为每季度复核",
            "archive_recheck_days-version": "0",
        },
    )
    assert response.status_code == 302
    page = client.get(URL).get_data(as_text=True)
    assert '<td id="value-archive_recheck_days">90 天</td>' in page
    assert "180 → 90" in page and "档案室改为每季度复核" in page and "系统管理员" in page

    client.post("/logout")
    signed_in = client.post("/login", data={"username": "os_custodian", "password": PASSWORD})
    assert signed_in.status_code == 302
    page = client.get("/admin/archive-recheck/").get_data(as_text=True)
    assert 'data-file="HALF"' in page and 'data-file="FRESH"' not in page  # 55 days: not due
    home = client.get("/admin/").get_data(as_text=True)
    tile = home.split('id="stat-recheck-due"', 1)[1]
    assert tile.split('data-count="', 1)[1].startswith('1"')


def test_a_refused_value_keeps_what_was_typed(app, client, login_as):
    login_as("admin")
    response = client.post(
        RECHECK_URL,
        data={
            "archive_recheck_days-value": "20",
            "archive_recheck_days-reason": "试试",
            "archive_recheck_days-version": "0",
        },
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="20"' in body and "试试" in body and "30 至 730 天" in body
    response = client.post(
        RECHECK_URL,
        data={"archive_recheck_days-value": "九十", "archive_recheck_days-version": "0"},
    )
    body = response.get_data(as_text=True)
    assert 'value="九十"' in body and "请填写整数" in body
    response = client.post(
        RECHECK_URL,
        data={"archive_recheck_days-value": "90", "archive_recheck_days-version": "0"},
    )
    assert 'value="90"' in response.get_data(as_text=True)
    assert "请写明修改设置的原因" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(OfficeSetting, "archive_recheck_days") is None
        assert office_settings.value_of(db.session, "archive_recheck_days") == 180


def test_a_page_opened_before_anothers_change_is_refused(app, client, login_as):
    with app.app_context():
        db.session.add(OfficeSetting(key="complaint_answer_workdays", value=3, version=2))
        db.session.commit()
    login_as("admin")
    response = client.post(
        f"{URL}complaint_answer_workdays/",
        data={
            "complaint_answer_workdays-value": "7",
            "complaint_answer_workdays-reason": "延长",
            "complaint_answer_workdays-version": "1",
        },
    )
    body = response.get_data(as_text=True)
    assert "已被他人修改" in body and 'value="7"' in body
    with app.app_context():
        assert office_settings.value_of(db.session, "complaint_answer_workdays") == 3


@pytest.mark.parametrize("role", ["clerk", "supervisor", "custodian", "region_manager"])
def test_other_roles_are_refused(app, client, login_as, role):
    login_as(role)
    assert client.get(URL).status_code == 403
    response = client.post(
        RECHECK_URL,
        data={
            "archive_recheck_days-value": "90",
            "archive_recheck_days-reason": "想改",
            "archive_recheck_days-version": "0",
        },
    )
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(OfficeSetting, "archive_recheck_days") is None
