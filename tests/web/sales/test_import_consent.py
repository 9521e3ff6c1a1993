"""Imported cards carry the consent basis the importing clerk states once for the file."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from extensions import db
from models.privacy.privacy import ConsentRecord
from models.sales.prospects import Prospect
from services.shared import importer
from tests.factories import make_user, ref_item
from tests.importing import good_row, write_xlsx
from tests.web.sales.test_import_views import _map_all, _run, _token, _upload

pytestmark = pytest.mark.instant()


@pytest.fixture
def checked(app, client, login_as, tmp_path):
    with app.app_context():
        ref_item(db.session, "source_channel", "walk_in")
        db.session.commit()
    user_id = login_as("clerk")
    token = _token(
        _upload(client, write_xlsx(tmp_path / "c.xlsx", [good_row(n) for n in (1, 2, 3)]))
    )
    _map_all(client, token)
    page = client.get(f"/admin/import/{token}/preview").get_data(as_text=True)
    assert 'id="consent_given"' in page and app.config["PRIVACY_POLICY_VERSION"] in page
    return token, user_id


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_every_imported_card_has_its_consent_record(app, client, checked):
    token, user_id = checked
    response = _run(client, token, {"consent_given": "y"})
    assert response.status_code == 200
    with app.app_context():
        ids = set(db.session.scalars(select(Prospect.id)))
        records = db.session.scalars(select(ConsentRecord)).all()
        assert len(ids) == 3
        assert {r.subject_id for r in records} == ids
        for record in records:
            assert record.subject_type == "prospect" and record.basis == "consent"
            assert record.purpose == app.config["PRIVACY_PURPOSE"]
            assert record.policy_version == app.config["PRIVACY_POLICY_VERSION"]
            assert record.recorded_by_id == user_id


def test_without_the_confirmation_nothing_is_imported(app, client, checked):
    token, _user_id = checked
    response = client.post(f"/admin/import/{token}/run", data={}, follow_redirects=True)
    assert "告知" in response.get_data(as_text=True) or "purpose" in response.get_data(as_text=True)
    with app.app_context():
        assert _count(Prospect) == 0 and _count(ConsentRecord) == 0


def test_a_basis_the_kind_does_not_allow_is_refused(app, client, checked):
    token, _user_id = checked
    client.post(
        f"/admin/import/{token}/run", data={"consent_given": "y", "consent_basis": "contract"}
    )
    with app.app_context():
        assert _count(Prospect) == 0 and _count(ConsentRecord) == 0


def test_the_service_refuses_an_import_without_a_basis(app, tmp_path):
    path = write_xlsx(tmp_path / "c.xlsx", [good_row(1)])
    with app.test_request_context():
        user = make_user(db.session, "clerk")
        with pytest.raises(importer.ImportFileError):
            importer.import_file(
                db.session, user, path, importer.guess_mapping(["客户姓名"]), skip_rejected=True
            )
        db.session.rollback()
