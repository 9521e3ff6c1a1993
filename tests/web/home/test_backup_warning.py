"""The admin's home page shows the last restore drill and warns when no drill passed in 35
days or the newest backup is more than 2 days old."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine

from extensions import db
from services.admin import backup_drill

NOW = datetime(2026, 11, 25, 2, 0)  # 10:00 Beijing, the pinned instant


@pytest.fixture
def folder(app, tmp_path):
    app.config["BACKUP_DIR"] = str(tmp_path)
    yield tmp_path
    app.config.pop("BACKUP_DIR", None)


def _drill(app, days_ago: float, ok: bool) -> None:
    with time_machine.travel(NOW - timedelta(days=days_ago), tick=False), app.app_context():
        result = backup_drill.DrillResult(ok, "panel-x.bak", reason=None if ok else "broken")
        backup_drill.record(db.session, result)
        db.session.commit()


def _backup(folder, days_ago: float) -> None:
    (folder / f"panel-{NOW - timedelta(days=days_ago):%Y%m%d-%H%M%S}.bak").write_bytes(b"x")


def _home(client) -> str:
    return client.get("/admin/").get_data(as_text=True)


@pytest.mark.instant()
def test_never_drilled_and_no_backup_warns_both(app, client, login_as, folder):
    login_as("admin")
    html = _home(client)
    assert 'id="home-backups"' in html
    assert 'id="warn-drill"' in html and 'id="warn-backup"' in html
    assert 'id="drill-outcome"' not in html


@pytest.mark.instant()
def test_recent_drill_and_backup_do_not_warn(app, client, login_as, folder):
    _drill(app, 10, ok=True)
    _backup(folder, 1)
    login_as("admin")
    html = _home(client)
    assert 'id="warn-drill"' not in html and 'id="warn-backup"' not in html
    assert "2026-11-15 10:00" in html  # the drill's time in Beijing
    assert "2026-11-24 10:00" in html  # the newest backup's


@pytest.mark.instant()
def test_old_success_and_recent_failure_warn(app, client, login_as, folder):
    _drill(app, 40, ok=True)
    _drill(app, 1, ok=False)
    _backup(folder, 3)
    login_as("admin")
    html = _home(client)
    assert 'id="warn-drill"' in html and 'id="warn-backup"' in html
    assert 'class="badge badge-danger" id="drill-outcome"' in html


@pytest.mark.instant()
def test_other_roles_do_not_see_the_backups(app, client, login_as, folder):
    login_as("clerk")
    assert 'id="home-backups"' not in _home(client)
