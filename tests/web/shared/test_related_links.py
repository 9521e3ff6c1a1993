"""Details pages link to the desks about the record, and only to those the role may open."""

from __future__ import annotations

import pytest

from extensions import db
from models.archive.archives import ArchiveFile
from models.property.property import Unit
from tests.factories import make_prospect
from tests.web.property.test_property_views import make_everything


def _links(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    page = response.get_data(as_text=True)
    start = page.find('id="related-links"')
    return page[start : page.find("</div>", start)] if start >= 0 else ""


def test_a_welcome_card_links_to_its_identity_checks(app, client, login_as):
    login_as("clerk")
    with app.app_context():
        prospect_id = make_prospect(db.session).id
        db.session.commit()
    links = _links(client, f"/admin/prospect/details/?id={prospect_id}")
    href = f"/admin/sales/identity/?prospect={prospect_id}"
    assert href in links
    assert client.get(href).status_code == 200


@pytest.mark.parametrize(
    ("role", "expect", "refuse"),
    [
        ("clerk", ["unit-timeline", "transfer-desk/open/", "transfer-desk/household/"], []),
        ("custodian", ["unit-timeline"], ["transfer-desk"]),
    ],
)
def test_a_unit_links_to_its_timeline_and_the_desk(app, client, login_as, role, expect, refuse):
    login_as(role)
    with app.app_context():
        ids = make_everything(db.session)
        db.session.commit()
    links = _links(client, f"/admin/unit/details/?id={ids['unit']}")
    for fragment in expect:
        assert fragment in links, (role, fragment, links)
    for fragment in refuse:
        assert fragment not in links, (role, fragment)
    # every link shown opens for this role
    for href in [part.split('"')[0] for part in links.split('href="')[1:]]:
        assert client.get(href).status_code == 200, href


def test_an_active_lease_links_to_ending_it(app, client, login_as):
    login_as("clerk")
    with app.app_context():
        ids = make_everything(db.session)
        db.session.commit()
    links = _links(client, f"/admin/lease/details/?id={ids['lease']}")
    assert f"/lease/{ids['lease']}/end" in links and "unit-timeline" in links


@pytest.mark.parametrize(
    ("role", "expect", "refuse"),
    [
        ("custodian", "/admin/archive-desk/file/", "/admin/archive-lookup/"),
        ("clerk", "/admin/archive-lookup/?code=DA-0300", "/admin/archive-desk/"),
    ],
)
def test_a_paper_file_links_to_its_lookups(app, client, login_as, role, expect, refuse):
    login_as(role)
    with app.app_context():
        record = ArchiveFile(code="DA-0300", title="王五 档案", room="一号档案室")
        db.session.add(record)
        db.session.commit()
        file_id = record.id
    links = _links(client, f"/admin/archive_file/details/?id={file_id}")
    assert expect in links, links
    assert refuse not in links


def test_customer_and_unit_pages_link_to_their_paper_files(app, client, login_as):
    login_as("clerk")
    with app.app_context():
        ids = make_everything(db.session)
        owner_id = db.session.get(Unit, ids["unit"]).ownerships[0].owner_id
        owner_file = ArchiveFile(code="DA-0401", title="业主档案", room="一号", owner_id=owner_id)
        unit_file = ArchiveFile(code="DA-0402", title="房屋档案", room="一号", unit_id=ids["unit"])
        db.session.add_all([owner_file, unit_file])
        db.session.commit()
        owner_file_id, unit_file_id = owner_file.id, unit_file.id
    owner_links = _links(client, f"/admin/owner/details/?id={owner_id}")
    assert f"/admin/archive_file/details/?id={owner_file_id}" in owner_links
    assert "DA-0402" not in owner_links
    unit_links = _links(client, f"/admin/unit/details/?id={ids['unit']}")
    assert f"/admin/archive_file/details/?id={unit_file_id}" in unit_links
    assert client.get(f"/admin/archive_file/details/?id={unit_file_id}").status_code == 200
