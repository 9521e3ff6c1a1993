"""A grep of the database file, a pg_dump, the logs and a backup finds no phone or ID number.

The data goes in the way the office enters it (forms, a change request and its approval, a
search by the full number), so every place a value could land is exercised.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import make_url, select, text

from extensions import db
from models.property.property import Owner
from models.sales.prospects import Prospect
from models.shared.approvals import ChangeRequest
from services.admin import backup
from services.shared import approvals
from tests.factories import make_user
from tests.web.property.test_property_views import _owner_form, valid_id
from tests.web.sales.test_prospect_views import _form

MOBILE = "13987650123"
NEW_MOBILE = "13987650456"
OWNER_MOBILE = "13687650789"
ID_NUMBER = valid_id("44030419850612004")
NOTE = "客户说周三下午再来看三居"


def _enter_everything(app, client, login_as) -> None:
    with app.app_context():
        clerk_id = make_user(db.session, "clerk").id
        db.session.commit()
    login_as("supervisor")
    card = client.post(
        "/admin/prospect/new/",
        data=_form(app, name="皇甫嵩", mobile=MOBILE, notes=NOTE, consultant=str(clerk_id)),
    )
    assert card.status_code == 302, card.get_data(as_text=True)[:500]
    owner = client.post(
        "/admin/owner/new/",
        data=_owner_form(name="独孤求", mobile=OWNER_MOBILE, id_number=ID_NUMBER, notes=NOTE),
    )
    assert owner.status_code == 302, owner.get_data(as_text=True)
    # Searches by the full numbers, and the details pages, all go to the access log.
    found = client.get("/admin/prospect/", query_string={"search": MOBILE})
    assert "皇甫嵩" in found.get_data(as_text=True)
    found = client.get("/admin/owner/", query_string={"search": ID_NUMBER})
    assert "独孤求" in found.get_data(as_text=True)
    with app.app_context():
        prospect = db.session.scalar(select(Prospect).where(Prospect.name == "皇甫嵩"))
        owner_id = db.session.scalar(select(Owner.id).where(Owner.name == "独孤求"))
        clerk = make_user(db.session, "clerk")
        supervisor = make_user(db.session, "supervisor")
        request = approvals.file_update(
            db.session,
            user=clerk,
            record_type="prospect",
            record=prospect,
            changes={"mobile": {"old": MOBILE, "new": NEW_MOBILE}},
            reason="客户换号",
        )
        db.session.flush()
        approvals.approve(db.session, user=supervisor, request_id=request.id)
        db.session.commit()
        assert db.session.get(Prospect, prospect.id).mobile == NEW_MOBILE
        assert db.session.get(ChangeRequest, request.id).status == "approved"
    client.get(f"/admin/owner/details/?id={owner_id}")


def _secrets() -> list[bytes]:
    values = [MOBILE, NEW_MOBILE, OWNER_MOBILE, ID_NUMBER, NOTE]
    return [value.encode() for value in values]


def _leaks(blob: bytes) -> list[str]:
    return [value.decode() for value in _secrets() if value in blob]


def test_no_phone_id_number_or_note_in_the_database_logs_or_backup(
    app, client, login_as, caplog, tmp_path
):
    caplog.set_level(logging.DEBUG)
    _enter_everything(app, client, login_as)

    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        with app.app_context():
            # Move the write-ahead log into the file, so the grep sees every page.
            db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            db.session.remove()
        stored = Path(url.database).read_bytes()
    else:
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            pytest.skip("pg_dump is not installed")
        stored = subprocess.run(  # noqa: S603 (fixed arguments from the test's own URL)
            [pg_dump, "-h", url.host or "127.0.0.1", "-U", url.username, url.database],
            capture_output=True,
            check=True,
        ).stdout
        assert b"CREATE TABLE public.prospects" in stored  # the dump is real
    # The grep sees the data: names stay in clear (staff search them), numbers do not.
    assert "皇甫嵩".encode() in stored
    assert _leaks(stored) == []

    logged = "\n".join(record.getMessage() for record in caplog.records).encode()
    assert _leaks(logged) == []

    key = bytes(range(32))
    out = backup.create(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "panel.bak", key)
    sealed = out.read_bytes()
    assert _leaks(sealed) == []
    # Even opened with its key, the backup holds only the tokens.
    dialect = "sqlite" if url.get_backend_name() == "sqlite" else "postgresql"
    assert _leaks(backup._open(sealed, key, dialect)) == []
