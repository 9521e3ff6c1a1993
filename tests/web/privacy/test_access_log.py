"""Every look at customer data, change and refusal writes one access-log event."""

from __future__ import annotations

from sqlalchemy import select

from extensions import db
from models.privacy.audit import AccessEvent
from services.privacy import audit
from tests.factories import make_prospect


def _events(app, **where):
    with app.app_context():
        query = select(AccessEvent).order_by(AccessEvent.seq)
        for key, value in where.items():
            query = query.where(getattr(AccessEvent, key) == value)
        rows = db.session.scalars(query).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def _prospects(app, n=3):
    with app.app_context():
        ids = [make_prospect(db.session, mobile=f"1380000{i:04d}").id for i in range(n)]
        db.session.commit()
        return ids


def test_list_and_search_are_logged_with_ids_and_hashed_term(app, client, login_as):
    ids = _prospects(app)
    user_id = login_as("clerk")
    client.get("/admin/prospect/")
    (listed,) = _events(app, action="list")
    assert listed.user_id == user_id and listed.role == "clerk"
    assert sorted(map(int, listed.record_ids.split(","))) == sorted(ids)
    assert listed.request_id and listed.ip == "127.0.0.1"
    client.get("/admin/prospect/?search=13800000001")
    (searched,) = _events(app, action="search")
    assert "13800000001" not in (searched.term_hmac or "")
    with app.app_context():
        assert searched.term_hmac == audit.term_hmac("13800000001")


def test_details_export_create_and_refusal_are_logged(app, client, login_as):
    (pid,) = _prospects(app, 1)
    login_as("supervisor")
    client.get(f"/admin/prospect/details/?id={pid}")
    assert _events(app, action="details")[0].record_id == pid
    # The export writes its event inside the stream, before its first row: read the file.
    client.get("/admin/prospect/export/csv/").get_data()
    assert _events(app, action="export")
    client.post("/logout")
    login_as("region_manager")
    client.get("/admin/prospect/")
    (denied,) = _events(app, action="denied")
    assert denied.outcome == "denied" and denied.path == "/admin/prospect/"


def test_nothing_personal_is_written_to_the_log(app, client, login_as):
    _prospects(app, 2)
    login_as("supervisor")
    client.get("/admin/prospect/?search=王伟")
    client.get("/admin/prospect/")
    with app.app_context():
        events = db.session.scalars(select(AccessEvent)).all()
        assert events, "the two lists were not logged"
        assert any(e.term_hmac for e in events)  # the search was logged, its term as an HMAC
        for event in events:
            text = " ".join(str(getattr(event, c)) for c in ("record_ids", "path", "term_hmac"))
            assert "1380000" not in text and "王伟" not in text


def test_admin_reads_the_log_and_nobody_edits_it(app, client, login_as):
    _prospects(app, 1)
    login_as("admin")
    client.get("/admin/prospect/")
    page = client.get("/admin/audit/")
    assert page.status_code == 200
    assert client.get("/admin/audit/new/").status_code == 403
    assert client.get("/admin/audit/edit/?id=1").status_code == 403
    assert client.post("/admin/audit/delete/", data={"id": "1"}).status_code == 403


def test_who_looked_panel_for_supervisors(app, client, login_as):
    (pid,) = _prospects(app, 1)
    login_as("clerk", username="nosy.clerk")
    client.get(f"/admin/prospect/details/?id={pid}")
    client.post("/logout")
    login_as("supervisor")
    # The panels are read after the details page (views/shared/mixins/links.py).
    page = client.get(f"/admin/prospect/details/panels/?id={pid}&partial=1").get_data(as_text=True)
    assert 'id="access-panel"' in page and "nosy.clerk" in page


def test_chain_verifies_after_a_working_session(app, client, login_as):
    _prospects(app, 2)
    login_as("supervisor")
    for url in ("/admin/prospect/", "/admin/prospect/details/?id=1", "/admin/approvals/"):
        client.get(url)
    with app.app_context():
        assert audit.verify(db.session).ok
