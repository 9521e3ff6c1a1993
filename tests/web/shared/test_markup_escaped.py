"""Markup typed into customer data is shown as text everywhere, never run."""

from __future__ import annotations

import pytest

from extensions import db
from tests.factories import make_prospect, make_visit, ref_item
from tests.importing import write_xlsx
from tests.web.sales.test_import_views import _map_all, _token, _upload

# Fixed dates below were written for this instant (tests/conftest.py WRITTEN_AT).
pytestmark = pytest.mark.instant()

PAYLOAD = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
ESCAPED = "&lt;script&gt;window.__xss=1&lt;/script&gt;"


def test_a_name_with_markup_is_escaped_in_lists_details_and_requests(app, client, login_as):
    with app.app_context():
        prospect = make_prospect(db.session, name=PAYLOAD[:50], notes=PAYLOAD)
        make_visit(db.session, prospect, summary=PAYLOAD)
        db.session.commit()
        prospect_id = prospect.id
    login_as("supervisor")
    for url in (
        "/admin/prospect/",
        f"/admin/prospect/details/?id={prospect_id}",
        "/admin/prospect/?search=script",
    ):
        page = client.get(url).get_data(as_text=True)
        assert "<script>window.__xss" not in page and 'onerror="window' not in page, url
        assert "&lt;script&gt;" in page, url


def test_markup_in_an_imported_file_is_escaped_in_the_preview(app, client, login_as, tmp_path):
    with app.app_context():
        ref_item(db.session, "source_channel", "walk_in")
        db.session.commit()
    login_as("clerk")
    rows = [["客户", PAYLOAD, "B", "来访", "2026-03-01", PAYLOAD]]
    token = _token(_upload(client, write_xlsx(tmp_path / "x.xlsx", rows)))
    _map_all(client, token)
    page = client.get(f"/admin/import/{token}/preview").get_data(as_text=True)
    assert "<script>window.__xss" not in page and ESCAPED in page
