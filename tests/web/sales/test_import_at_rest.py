"""Uploaded workbooks wait sealed on disk and are deleted when the import ends, is cancelled,
is refused or is left too long."""

from __future__ import annotations

import os
import time

import pytest

from extensions import db
from services.shared import import_store
from tests.factories import ref_item
from tests.importing import good_row, write_xlsx
from tests.web.sales.test_import_views import _map_all, _run, _token, _upload

pytestmark = pytest.mark.instant()

ROWS = [good_row(n) for n in range(1, 6)]
TYPED = [b"PK\x03\x04", "客户1".encode(), b"13900000001", "来访".encode()]


def _files(app, token):
    folder = import_store.upload_folder(app.config, app.instance_path)
    return sorted(path for path in folder.iterdir() if path.name.startswith(token))


def _assert_no_plaintext(path):
    raw = path.read_bytes()
    assert not raw.startswith(b"PK")
    for typed in TYPED:
        assert typed not in raw, (path.name, typed)


@pytest.fixture
def clerk(app, login_as):
    with app.app_context():
        ref_item(db.session, "source_channel", "walk_in")
        db.session.commit()
    login_as("clerk")


def test_the_waiting_file_is_sealed_and_gone_after_the_import(app, client, clerk, tmp_path):
    token = _token(_upload(client, write_xlsx(tmp_path / "cards.xlsx", ROWS)))
    sealed = [p for p in _files(app, token) if p.suffix == ".sealed"]
    assert len(sealed) == 1
    _assert_no_plaintext(sealed[0])
    assert (sealed[0].stat().st_mode & 0o777) == 0o600
    _map_all(client, token)
    assert client.get(f"/admin/import/{token}/preview").status_code == 200
    for path in _files(app, token):
        if path.suffix == ".sealed":
            _assert_no_plaintext(path)
    response = _run(client, token, {"skip_rejected": "y", "consent_given": "y"})
    assert response.status_code == 200 and 'id="import-result"' in response.get_data(as_text=True)
    assert not (
        import_store.upload_folder(app.config, app.instance_path) / f"{token}.sealed"
    ).exists()


def test_cancel_deletes_every_file_of_the_upload(app, client, clerk, tmp_path):
    token = _token(_upload(client, write_xlsx(tmp_path / "cards.xlsx", ROWS)))
    _map_all(client, token)
    client.get(f"/admin/import/{token}/preview")
    assert _files(app, token)
    response = client.post(f"/admin/import/{token}/cancel")
    assert response.status_code == 302
    assert _files(app, token) == []
    assert client.get(f"/admin/import/{token}/map").status_code == 404


def test_a_refused_upload_leaves_nothing(app, client, clerk, tmp_path):
    folder = import_store.upload_folder(app.config, app.instance_path)
    before = set(folder.iterdir())
    path = tmp_path / "junk.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook 13900000001")
    response = _upload(client, path)
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/import/")
    assert set(folder.iterdir()) == before


def test_leftovers_expire_at_upload_and_by_the_cli(app, client, clerk, tmp_path):
    token = _token(_upload(client, write_xlsx(tmp_path / "cards.xlsx", ROWS)))
    old = time.time() - 25 * 3600
    for path in _files(app, token):
        os.utime(path, (old, old))
    # the next upload expires it
    other = _token(_upload(client, write_xlsx(tmp_path / "more.xlsx", ROWS)))
    assert _files(app, token) == []
    assert _files(app, other)
    for path in _files(app, other):
        os.utime(path, (old, old))
    result = app.test_cli_runner().invoke(args=["imports", "expire"])
    assert result.exit_code == 0, result.output
    assert "deleted" in result.output
    assert _files(app, other) == []


def test_a_sealed_file_opens_only_under_its_own_token(app):
    with app.app_context():
        sealed = import_store.seal(b"PK\x03\x04 data", "a" * 32)
        assert import_store.unseal(sealed, "a" * 32) == b"PK\x03\x04 data"
        with pytest.raises(import_store.SealedFileError):
            import_store.unseal(sealed, "b" * 32)
        with pytest.raises(import_store.SealedFileError):
            import_store.unseal(sealed[:-1] + bytes([sealed[-1] ^ 1]), "a" * 32)
