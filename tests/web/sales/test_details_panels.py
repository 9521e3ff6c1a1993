"""A welcome card's details panels (receptions, change history, consents, partner sharing,
who looked, ownership record) are read after the details page, by their own endpoint
(views/shared/mixins/links.py details_panels_view): scoped and refused like the details
page, and their look is an access event of its own."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import event, select

from extensions import db
from models.admin.offices import Office
from models.privacy.audit import AccessEvent
from models.shared.approvals import RecordHistory
from tests.factories import make_prospect, make_user, make_visit

#: Tables only the panels read: the details page itself must not touch them.
PANEL_TABLES = (
    "record_history",
    "prospect_visits",
    "ownership_events",
    "partner_shares",
    "partner_consents",
)


def _card(app, **kwargs) -> int:
    with app.app_context():
        prospect = make_prospect(db.session, mobile="13812345678", **kwargs)
        make_visit(db.session, prospect, summary="首次来访，了解三房户型。")
        db.session.add(
            RecordHistory(
                record_type="prospect",
                record_id=prospect.id,
                event="updated",
                at=datetime(2026, 11, 25, 2, 0),  # 10:00 in Beijing
                changes={"mobile": {"old_label": "13812345678", "new_label": "13987654321"}},
            )
        )
        db.session.commit()
        return prospect.id


def _panels(pid: int) -> str:
    return f"/admin/prospect/details/panels/?id={pid}&partial=1"


def _statements(app, client, url: str) -> list[str]:
    seen: list[str] = []

    def spy(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", spy)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", spy)
    assert response.status_code == 200, response.status_code
    return seen


def _events(app, action: str) -> list[tuple]:
    with app.app_context():
        return db.session.execute(
            select(
                AccessEvent.username,
                AccessEvent.record_type,
                AccessEvent.record_id,
                AccessEvent.path,
            )
            .where(AccessEvent.action == action)
            .order_by(AccessEvent.seq)
        ).all()


def test_the_details_page_reads_no_panel(app, client, login_as):
    pid = _card(app)
    login_as("supervisor")
    client.get(f"/admin/prospect/details/?id={pid}")  # warm: the first page reads the menu
    statements = _statements(app, client, f"/admin/prospect/details/?id={pid}")
    read = [s for s in statements if s.startswith("SELECT")]
    for table in PANEL_TABLES:
        assert not [s for s in read if f"FROM {table}" in s], table
    # "who looked": the page only writes its own look, it reads no event.
    assert not [s for s in read if "FROM access_events" in s]
    # The consents: the page counts them for its withdrawn banner, the panels read the rows.
    assert not [s for s in read if s.startswith("SELECT consent_records.id")]
    page = client.get(f"/admin/prospect/details/?id={pid}").get_data(as_text=True)
    assert (
        'id="details-panels"' in page
        and f'data-panels-url="{_panels(pid)}"'.replace("&", "&amp;") in page
    )
    # Without script the link opens the panels as a page of their own.
    assert f'href="/admin/prospect/details/panels/?id={pid}"' in page
    for panel in ("change-history", "access-panel", "ownership-history", "consents"):
        assert f'id="{panel}"' not in page


def test_the_panels_show_the_card_masked_in_beijing_time(app, client, login_as):
    pid = _card(app)
    login_as("supervisor", username="panel.sup")
    client.get(f"/admin/prospect/details/?id={pid}")
    statements = _statements(app, client, _panels(pid))
    assert [s for s in statements if "FROM record_history" in s]
    html = client.get(_panels(pid)).get_data(as_text=True)
    for panel in ("receptions", "change-history", "access-panel", "ownership-history"):
        assert f'id="{panel}"' in html, panel
    assert "首次来访，了解三房户型。" in html
    assert "138****5678" in html and "139****4321" in html
    assert "13812345678" not in html and "13987654321" not in html
    assert "2026-11-25 10:00" in html
    # The details look is listed by its label, in the reader's language.
    looked = html.split('id="access-panel"')[1]
    assert "panel.sup" in looked and "details" not in re.sub(r"<[^>]+>", " ", looked)
    # A fragment: no page around it.
    assert "<html" not in html and "<nav" not in html


def test_without_script_the_panels_are_a_page(app, client, login_as):
    pid = _card(app)
    login_as("supervisor")
    response = client.get(f"/admin/prospect/details/panels/?id={pid}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" in html and 'id="change-history"' in html
    assert f'href="/admin/prospect/details/?id={pid}"' in html  # back to the details


def test_the_panels_look_is_logged_as_its_own_event(app, client, login_as):
    pid = _card(app)
    login_as("clerk", username="panel.clerk")
    client.get(f"/admin/prospect/details/?id={pid}")
    client.get(_panels(pid))
    assert _events(app, "details") == [("panel.clerk", "prospect", pid, "/admin/prospect/details/")]
    assert _events(app, "details_panels") == [
        ("panel.clerk", "prospect", pid, "/admin/prospect/details/panels/")
    ]


def test_another_offices_card_is_not_found(app, client, login_as):
    with app.app_context():
        west = Office(name="城西售楼部", kind="sales", active=True)
        db.session.add(west)
        db.session.flush()
        west_id = west.id
        db.session.commit()
    pid = _card(app, office_id=west_id)
    login_as("supervisor", username="east.sup")  # the default office only
    assert client.get(_panels(pid)).status_code == 404
    assert client.get(f"/admin/prospect/details/panels/?id={pid}").status_code == 404
    assert not _events(app, "details_panels")
    # The refused look is on the record, as on the details page (views/shared/errors.py).
    assert [
        e[0] for e in _events(app, "not_found") if e[3] == "/admin/prospect/details/panels/"
    ] == [
        "east.sup",
        "east.sup",
    ]


def test_another_consultants_card_is_not_found(app, client, login_as):
    with app.app_context():
        owner = make_user(db.session, "clerk", username="owner.clerk")
        owner_id = owner.id
        db.session.commit()
    pid = _card(app, consultant_id=owner_id)
    login_as("clerk", username="other.clerk")
    assert client.get(f"/admin/prospect/details/?id={pid}").status_code == 404
    assert client.get(_panels(pid)).status_code == 404


def test_a_role_without_the_details_right_is_refused(app, client, login_as):
    pid = _card(app)
    login_as("region_manager", username="far.manager")  # no right on welcome cards
    assert client.get(_panels(pid)).status_code == 403
    assert not _events(app, "details_panels")
    assert ("far.manager", None, None, "/admin/prospect/details/panels/") in _events(app, "denied")


def test_anonymous_goes_to_sign_in(app, client):
    pid = _card(app)
    response = client.get(_panels(pid))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_view_that_reads_its_panels_itself_has_none_to_serve(app, client, login_as):
    login_as("admin")
    assert client.get("/admin/user/details/panels/?id=1").status_code == 404


@pytest.mark.parametrize("kind", ["owner", "tenant"])
def test_owners_and_tenants_read_their_panels_after_the_page(app, client, login_as, kind):
    from tests.web.property.test_property_views import make_owner, make_tenant

    with app.app_context():
        record = (make_owner if kind == "owner" else make_tenant)(db.session)
        rid = record.id
        db.session.commit()
    login_as("supervisor", username=f"{kind}.sup")
    client.get(f"/admin/{kind}/details/?id={rid}")
    statements = _statements(app, client, f"/admin/{kind}/details/?id={rid}")
    read = [s for s in statements if s.startswith("SELECT")]
    for table in ("record_history", "partner_shares", "partner_consents", "access_events"):
        assert not [s for s in read if f"FROM {table}" in s], table
    html = client.get(f"/admin/{kind}/details/panels/?id={rid}&partial=1").get_data(as_text=True)
    for panel in ("change-history", "consents", "partner-sharing", "access-panel"):
        assert f'id="{panel}"' in html, panel
    assert f"{kind}.sup" in html.split('id="access-panel"')[1]
    assert (f"{kind}.sup", kind, rid, f"/admin/{kind}/details/panels/") in _events(
        app, "details_panels"
    )
