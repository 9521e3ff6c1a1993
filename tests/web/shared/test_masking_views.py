"""Numbers are masked in lists, details, child tables and exports; a logged click reveals."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from extensions import db
from models.privacy.audit import AccessEvent
from tests.factories import make_prospect
from tests.web.property.test_property_views import make_everything, valid_id

MOBILE = "13812345678"


def _prospect(app, **kw) -> int:
    with app.app_context():
        prospect_id = make_prospect(db.session, name="欧阳娜", mobile=MOBILE, **kw).id
        db.session.commit()
        return prospect_id


def test_lists_and_details_show_masked_numbers(app, client, login_as):
    prospect_id = _prospect(app)
    login_as("supervisor")
    listing = client.get("/admin/prospect/").get_data(as_text=True)
    assert "138****5678" in listing and MOBILE not in listing
    details = client.get(f"/admin/prospect/details/?id={prospect_id}").get_data(as_text=True)
    assert "138****5678" in details and MOBILE not in details
    assert 'id="reveal"' in details


def test_exports_are_masked_and_cannot_start_formulas(app, client, login_as):
    _prospect(app, notes=None)
    with app.app_context():
        make_prospect(db.session, name='=HYPERLINK("http://evil")', mobile="13900001111")
        db.session.commit()
    login_as("supervisor")
    body = client.get("/admin/prospect/export/csv/").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body)))
    flat = [cell for row in rows for cell in row]
    assert MOBILE not in body and "13900001111" not in body
    assert '\'=HYPERLINK("http://evil")' in flat
    assert not any(cell.startswith(("=", "+", "@")) for cell in flat)


def test_every_export_cell_of_a_number_column_is_masked(app):
    """Exports leave phones out by design; should a view ever list one, it is masked."""
    prospect_id = _prospect(app)
    view = next(
        v for v in app.extensions["admin"][0]._views if getattr(v, "access_key", "") == "prospect"
    )
    with app.test_request_context(), app.app_context():
        from models.sales.prospects import Prospect

        model = db.session.get(Prospect, prospect_id)
        assert view.get_export_value(model, "mobile") == "138****5678"


def test_a_reveal_shows_full_numbers_once_and_is_logged(app, client, login_as):
    prospect_id = _prospect(app)
    user_id = login_as("clerk")
    page = client.post(f"/admin/prospect/reveal/?id={prospect_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert MOBILE in text and 'id="revealed-note"' in text
    assert "no-store" in page.headers.get("Cache-Control", "")
    # the next ordinary look is masked again
    again = client.get(f"/admin/prospect/details/?id={prospect_id}").get_data(as_text=True)
    assert MOBILE not in again
    with app.app_context():
        event = db.session.scalars(select(AccessEvent).where(AccessEvent.action == "reveal")).one()
        assert (event.user_id, event.record_type, event.record_id) == (
            user_id,
            "prospect",
            prospect_id,
        )
        assert MOBILE not in str([getattr(event, c.key) for c in AccessEvent.__table__.columns])


@pytest.mark.parametrize("role", ["custodian", "admin"])
def test_roles_that_do_not_work_the_record_cannot_reveal(app, client, login_as, role):
    prospect_id = _prospect(app)
    login_as(role)
    response = client.get(f"/admin/prospect/details/?id={prospect_id}")
    assert response.status_code == 200
    details = response.get_data(as_text=True)
    assert "138****5678" in details  # the page is shown, masked...
    assert 'id="reveal"' not in details and MOBILE not in details  # ...with no way to reveal
    assert client.post(f"/admin/prospect/reveal/?id={prospect_id}").status_code == 403
    assert client.get(f"/admin/prospect/reveal/?id={prospect_id}").status_code == 405
    with app.app_context():
        assert not db.session.scalars(
            select(AccessEvent).where(AccessEvent.action == "reveal")
        ).all()


def test_id_numbers_are_masked_until_revealed(app, client, login_as):
    with app.app_context():
        ids = make_everything(db.session)
        db.session.commit()
    login_as("clerk")
    url_id = ids["unit"]
    response = client.get(f"/admin/unit/details/?id={url_id}")
    assert response.status_code == 200
    details = response.get_data(as_text=True)
    assert 'id="reveal"' not in details  # a unit's page shows no number: nothing to reveal
    with app.app_context():
        from models.property.property import Owner

        owner = db.session.scalars(select(Owner)).first()
        owner_id, id_number = owner.id, owner.id_number
    assert id_number == valid_id()  # the fixture's checksum-valid number
    owner_page = client.get(f"/admin/owner/details/?id={owner_id}").get_data(as_text=True)
    assert id_number not in owner_page and id_number[:6] + "********" in owner_page
    revealed = client.post(f"/admin/owner/reveal/?id={owner_id}").get_data(as_text=True)
    assert id_number in revealed
