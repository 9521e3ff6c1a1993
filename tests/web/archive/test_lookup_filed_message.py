"""Filing a lookup request says what happened and who decides next, not a bare "done"
(issue 25)."""

from __future__ import annotations

import pytest

from tests.web.archive.test_archive_desk_views import archive_file  # noqa: F401 (fixture)

pytestmark = pytest.mark.instant()


def _file(client, mode: str) -> str:
    response = client.post(
        "/admin/archive-lookup/",
        data={"code": "DA-0200", "mode": mode, "days": "0", "reason": "核对面积"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_reading_waits_for_the_custodian(client, login_as, archive_file):  # noqa: F811
    login_as("clerk")
    page = _file(client, "read_in_room")
    assert "查阅申请已登记，现等待档案管理员审批。" in page


def test_a_copy_waits_for_the_superior_first(client, login_as, archive_file):  # noqa: F811
    login_as("clerk")
    assert "查阅申请已登记，现等待您的上级审批，之后由档案管理员审批。" in _file(client, "copy")


def test_the_english_interface_says_it_in_english(app, client, login_as, archive_file):  # noqa: F811
    login_as("clerk")
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    assert "It now waits for the custodian&#39;s decision." in _file(client, "take_out")
