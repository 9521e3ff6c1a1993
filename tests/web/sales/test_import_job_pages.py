"""The import's pages with background jobs: a start returns at once with a page that polls,
progress as JSON, cancel, sign-out, a second start told to wait, another user's job a 404."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from extensions import db
from models.sales.prospects import Prospect
from models.shared.imports import ImportJob
from services.shared import import_store, importer
from tests.factories import login_as, ref_item
from tests.importing import Gate, good_row, wait_for_jobs, write_xlsx
from tests.web.sales.test_import_views import _token, _upload

pytestmark = pytest.mark.instant()

MAPPING = {"col_name": "0", "col_mobile": "1", "col_grade": "2", "col_source": "3"}


@pytest.fixture
def clerk(app, login_as, monkeypatch):
    monkeypatch.setattr(importer, "CHUNK", 2)
    with app.app_context():
        ref_item(db.session, "source_channel", "walk_in")
        db.session.commit()
    return login_as("clerk", username="first_clerk")


@pytest.fixture
def gates(app, monkeypatch):
    made: list[Gate] = []

    def make(at=2):
        gate = Gate(monkeypatch, at)
        made.append(gate)
        return gate

    yield make
    for gate in made:
        gate.go.set()
    wait_for_jobs(app)


def _uploaded(client, tmp_path, rows=8, name="c.xlsx"):
    return _token(_upload(client, write_xlsx(tmp_path / name, [good_row(n) for n in range(rows)])))


def _checked(app, client, tmp_path):
    token = _uploaded(client, tmp_path)
    client.post(f"/admin/import/{token}/map", data=MAPPING)
    wait_for_jobs(app)
    return token


def _job(app, token, phase):
    with app.app_context():
        return db.session.scalar(
            select(ImportJob).where(ImportJob.token == token, ImportJob.phase == phase)
        )


def _count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Prospect.id)))


def test_the_check_starts_at_once_and_the_page_polls_it(app, client, clerk, gates, tmp_path):
    gate = gates()
    token = _uploaded(client, tmp_path)
    response = client.post(f"/admin/import/{token}/map", data=MAPPING)
    assert response.status_code == 302 and response.headers["Location"].endswith("/preview")
    gate.hold()  # the request has returned while the job is held at its first chunk
    page = client.get(f"/admin/import/{token}/preview").get_data(as_text=True)
    assert 'id="import-job"' in page and f"/admin/import/{token}/progress" in page
    # no script from a CDN (the page's random CSP nonce left out: it may spell "cdn")
    without_nonces = re.sub(r'nonce="[^"]*"', "", page)
    assert '/static/import.js"' in page and "cdn" not in without_nonces.lower()
    assert 'id="cancel-form"' in page
    progress = client.get(f"/admin/import/{token}/progress").get_json()
    assert progress["status"] == "running" and progress["phase"] == "check"
    assert progress["finished"] is False and progress["rows"] == 0
    gate.go.set()
    wait_for_jobs(app)
    progress = client.get(f"/admin/import/{token}/progress").get_json()
    assert progress["finished"] is True and progress["rows"] == 8
    assert progress["next"].endswith(f"/admin/import/{token}/preview")
    page = client.get(f"/admin/import/{token}/preview").get_data(as_text=True)
    assert 'id="import-summary"' in page and 'id="run-form"' in page


def test_the_import_runs_in_the_background_to_its_result(app, client, clerk, gates, tmp_path):
    token = _checked(app, client, tmp_path)
    gate = gates()
    response = client.post(f"/admin/import/{token}/run", data={"consent_given": "y"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/result")
    gate.hold()
    page = client.get(f"/admin/import/{token}/result").get_data(as_text=True)
    assert 'id="import-job"' in page
    progress = client.get(f"/admin/import/{token}/progress").get_json()
    assert progress["phase"] == "import" and progress["total"] == 8
    gate.go.set()
    wait_for_jobs(app)
    page = client.get(f"/admin/import/{token}/result").get_data(as_text=True)
    assert 'id="import-result"' in page and _count(app) == 8


def test_cancel_stops_the_import_and_writes_nothing(app, client, clerk, gates, tmp_path):
    token = _checked(app, client, tmp_path)
    gate = gates()
    client.post(f"/admin/import/{token}/run", data={"consent_given": "y"})
    gate.hold()  # two cards are in the job's open transaction
    response = client.post(f"/admin/import/{token}/cancel")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/import/")
    gate.go.set()
    wait_for_jobs(app)
    assert _job(app, token, "import").status == "cancelled"
    assert _count(app) == 0
    folder = import_store.upload_folder(app.config, app.instance_path)
    assert not [p for p in folder.iterdir() if p.name.startswith(token)]


def test_signing_out_stops_the_job(app, client, clerk, gates, tmp_path):
    # A check: on SQLite the sign-out's access event would wait for an import's transaction
    # (tests/unit/sales/test_import_jobs.py stops an import at its session's end).
    gate = gates()
    token = _uploaded(client, tmp_path)
    client.post(f"/admin/import/{token}/map", data=MAPPING)
    gate.hold()
    client.post("/logout")
    gate.go.set()
    wait_for_jobs(app)
    assert _job(app, token, "check").status == "stopped"
    folder = import_store.upload_folder(app.config, app.instance_path)
    assert not [p for p in folder.iterdir() if p.name.startswith(token)]


def test_a_second_start_is_told_to_wait(app, client, clerk, gates, tmp_path):
    gate = gates()
    first = _uploaded(client, tmp_path)
    client.post(f"/admin/import/{first}/map", data=MAPPING)
    gate.hold()
    second = _uploaded(client, tmp_path, name="d.xlsx")
    page = client.post(f"/admin/import/{second}/map", data=MAPPING, follow_redirects=True)
    text = page.get_data(as_text=True)
    assert 'id="import-not-checked"' in text and 'id="check-form"' in text
    assert _job(app, second, "check") is None
    gate.go.set()
    wait_for_jobs(app)
    assert client.post(f"/admin/import/{second}/check").status_code == 302
    wait_for_jobs(app)
    assert _job(app, second, "check").status == "done"


def test_another_user_cannot_see_or_cancel_my_job(app, client, clerk, gates, tmp_path):
    other = app.test_client()
    login_as(app, other, "clerk", username="second_clerk")
    gate = gates()
    token = _uploaded(client, tmp_path)
    # a held check: on SQLite an import's open transaction would make the other user wait
    client.post(f"/admin/import/{token}/map", data=MAPPING)
    gate.hold()
    for url in ("progress", "result", "preview", "rejected.xlsx", "map"):
        assert other.get(f"/admin/import/{token}/{url}").status_code == 404, url
    for url in ("cancel", "check", "run"):
        assert other.post(f"/admin/import/{token}/{url}").status_code == 404, url
    gate.go.set()
    wait_for_jobs(app)
    assert _job(app, token, "check").status == "done"
    assert client.get(f"/admin/import/{token}/progress").get_json()["status"] == "done"
