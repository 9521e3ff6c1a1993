"""A missing or wrong key stops the panel at start-up; rotation and retiring a key by CLI."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import Text, select, type_coerce

from app import create_app
from core import crypto
from extensions import db
from models.admin.key_checks import EncryptionKeyCheck
from models.sales.prospects import Prospect
from tests.factories import make_prospect
from tests.keys import TEST_KEYS


def _key(byte: bytes) -> str:
    return base64.b64encode(byte * 32).decode()


@pytest.fixture(autouse=True)
def _keep_active_keyring():
    # create_app activates its keyring for the process: give the suite's back afterwards.
    previous = crypto.get_keyring()
    yield
    crypto.set_keyring(previous)


@pytest.fixture
def scratch(app, tmp_path):
    """Config of a second app on its own SQLite file whose schema exists."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "startup",
        "AUDIT_HMAC_KEY": app.config["AUDIT_HMAC_KEY"],
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'keys.db'}",
        **TEST_KEYS,
    }
    first = create_app(config)
    with first.app_context():
        db.create_all()
        db.session.remove()
    return config


def test_first_start_records_key_checks_without_secrets(scratch):
    started = create_app(scratch)
    with started.app_context():
        rows = {row.name: row.value for row in db.session.scalars(select(EncryptionKeyCheck))}
        db.session.remove()
    assert set(rows) == {"data:t1", "blind"}
    assert rows["data:t1"].startswith("t1:")
    assert all(TEST_KEYS["BLIND_INDEX_KEY"] not in value for value in rows.values())


@pytest.mark.parametrize(
    "change, message",
    [
        ({"ENCRYPTION_KEYS": {"t1": _key(b"w")}}, "ENCRYPTION_KEYS['t1'] is not the key"),
        ({"BLIND_INDEX_KEY": _key(b"z")}, "BLIND_INDEX_KEY is not the key"),
        (
            {"ENCRYPTION_KEYS": {"t2": _key(b"2")}, "ENCRYPTION_CURRENT_KEY": "t2"},
            "ENCRYPTION_KEYS lacks key 't1'",
        ),
        ({"ENCRYPTION_KEYS": None}, "ENCRYPTION_KEYS is not set"),
        ({"BLIND_INDEX_KEY": "not base64!"}, "BLIND_INDEX_KEY is not valid base64"),
    ],
)
def test_a_missing_or_wrong_key_stops_start_up_with_a_clear_message(scratch, change, message):
    create_app(scratch)  # records the right keys
    with pytest.raises(SystemExit) as stopped:
        create_app({**scratch, **change})
    text = str(stopped.value)
    assert text.startswith("Cannot start the panel:") and message in text
    # The message never carries a key.
    assert _key(b"w") not in text and TEST_KEYS["BLIND_INDEX_KEY"] not in text


def test_an_old_key_kept_for_reading_is_accepted(scratch):
    create_app(scratch)
    rotated = {
        **scratch,
        "ENCRYPTION_KEYS": {**TEST_KEYS["ENCRYPTION_KEYS"], "t2": _key(b"2")},
        "ENCRYPTION_CURRENT_KEY": "t2",
    }
    started = create_app(rotated)
    with started.app_context():
        names = set(db.session.scalars(select(EncryptionKeyCheck.name)))
        db.session.remove()
    assert names == {"data:t1", "data:t2", "blind"}


def _raw_mobile(prospect_id: int) -> str:
    return db.session.scalar(
        select(type_coerce(Prospect.mobile, Text())).where(Prospect.id == prospect_id)
    )


def test_rotate_then_retire_the_old_key(app):
    runner = app.test_cli_runner()
    saved = {name: app.config[name] for name in TEST_KEYS}
    try:
        with app.app_context():
            prospect_id = make_prospect(db.session, mobile="13712340000", notes="旧钥匙").id
            db.session.commit()
        refused = runner.invoke(args=["crypto", "retire-key", "t1"])
        assert refused.exit_code != 0 and "current key" in refused.output

        app.config["ENCRYPTION_KEYS"] = {**saved["ENCRYPTION_KEYS"], "t2": _key(b"2")}
        app.config["ENCRYPTION_CURRENT_KEY"] = "t2"
        crypto.init_crypto(app)
        early = runner.invoke(args=["crypto", "retire-key", "t1"])
        assert early.exit_code != 0 and "run 'crypto rotate' first" in early.output

        rotated = runner.invoke(args=["crypto", "rotate", "--batch-size", "1"])
        assert rotated.exit_code == 0, rotated.output
        assert "prospects.mobile: 1 re-encrypted" in rotated.output
        with app.app_context():
            assert _raw_mobile(prospect_id).startswith("t2:")
            assert db.session.get(Prospect, prospect_id).notes == "旧钥匙"
            db.session.remove()
        again = runner.invoke(args=["crypto", "rotate"])
        assert "done: 0 values" in again.output

        retired = runner.invoke(args=["crypto", "retire-key", "t1"])
        assert retired.exit_code == 0, retired.output
    finally:
        app.config.update(saved)
        crypto.init_crypto(app)
