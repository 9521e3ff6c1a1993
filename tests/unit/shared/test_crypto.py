"""Encryption at rest and blind indexes: core/crypto.py and models/types.py.

The model tests use throwaway models on their own DeclarativeBase, on in-memory SQLite and,
when TEST_DATABASE_URL names PostgreSQL, on uniquely named tables there (dropped after).
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from datetime import datetime
from types import SimpleNamespace

import pytest
from flask import Flask
from sqlalchemy import (
    DateTime,
    Integer,
    String,
    Text,
    column,
    create_engine,
    select,
    table,
    type_coerce,
    update,
)
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from werkzeug.datastructures import MultiDict
from wtforms import Form, StringField

from core import crypto
from core.crypto import (
    BLIND_INDEX_SETTING,
    CURRENT_SETTING,
    ID_NUMBER,
    KEYS_SETTING,
    PHONE,
    CryptoConfigError,
    DecryptionError,
    Keyring,
    generate_instance_keys,
    generate_key,
    init_crypto,
)
from models.types import (
    EncryptedComparisonError,
    EncryptedString,
    blind_index_column,
    blind_match,
    check_bindings,
    encrypted_columns,
    keep_blind_index,
)
from services.admin.key_rotation import ColumnRotation, rotate

PROSPECT_AAD = b"prospects.mobile"
OWNER_AAD = b"owners.mobile"
STAMP = datetime(2024, 1, 2, 3, 4, 5)


@pytest.fixture(autouse=True)
def clean_db():
    """Replaces the suite's database wipe: these tests never touch the app's database."""
    yield


@pytest.fixture(autouse=True)
def _restore_active_keyring():
    previous = crypto.set_keyring(None)
    yield
    crypto.set_keyring(previous)


@pytest.fixture
def config() -> dict:
    return generate_instance_keys()


@pytest.fixture
def keyring(config) -> Keyring:
    ring = Keyring.from_config(config)
    crypto.set_keyring(ring)
    return ring


def _with_new_current(config: dict, key_id: str = "k2") -> dict:
    return {
        **config,
        KEYS_SETTING: {**config[KEYS_SETTING], key_id: generate_key()},
        CURRENT_SETTING: key_id,
    }


# --- tokens -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "plaintext",
    ["张三，住朝阳区建国路 88 号 3 栋 1201 室", "客户很满意 😀🏠👍", "13800138000", "", "a" * 5000],
)
def test_round_trip_keeps_chinese_emoji_and_empty_text(keyring, plaintext):
    token = crypto.encrypt(plaintext, PROSPECT_AAD)
    assert crypto.decrypt(token, PROSPECT_AAD) == plaintext


def test_token_is_key_id_then_base64_of_nonce_ciphertext_tag(keyring):
    token = crypto.encrypt("13800138000", PROSPECT_AAD)
    key_id, body = token.split(":")
    assert key_id == "k1"
    assert len(base64.b64decode(body, validate=True)) == 12 + len("13800138000") + 16
    assert "13800138000" not in token


def test_each_encryption_differs(keyring):
    tokens = {crypto.encrypt("13800138000", PROSPECT_AAD) for _ in range(50)}
    assert len(tokens) == 50


def test_token_copied_to_another_column_does_not_decrypt(keyring):
    token = crypto.encrypt("13800138000", PROSPECT_AAD)
    with pytest.raises(DecryptionError):
        crypto.decrypt(token, OWNER_AAD)


def _flip_last_byte(token: str) -> str:
    key_id, body = token.split(":")
    raw = bytearray(base64.b64decode(body))
    raw[-1] ^= 0x01
    return f"{key_id}:{base64.b64encode(bytes(raw)).decode()}"


@pytest.mark.parametrize(
    "tamper",
    [
        _flip_last_byte,
        lambda t: "k0:" + t.split(":")[1],  # unknown key id
        lambda t: t.split(":")[1],  # no key id at all
        lambda t: t[:-6] + "!!!!!!",  # not base64
        lambda t: "k1:" + base64.b64encode(b"short").decode(),  # shorter than nonce + tag
        lambda t: t.replace("k1:", "k1:AAAA", 1),  # bytes shifted
    ],
    ids=["bit-flip", "unknown-key-id", "no-key-id", "bad-base64", "truncated", "shifted"],
)
def test_tampering_is_detected(keyring, tamper):
    token = crypto.encrypt("客户备注", PROSPECT_AAD)
    with pytest.raises(DecryptionError):
        crypto.decrypt(tamper(token), PROSPECT_AAD)


def test_key_id_pointing_at_another_key_does_not_decrypt(config):
    ring = Keyring.from_config(_with_new_current(config))
    token = ring.encrypt("13800138000", PROSPECT_AAD)
    with pytest.raises(DecryptionError):
        ring.decrypt("k1:" + token.split(":")[1], PROSPECT_AAD)


def test_wrong_key_with_the_same_id_raises_not_garbage(config):
    token = Keyring.from_config(config).encrypt("13800138000", PROSPECT_AAD)
    other = Keyring.from_config(generate_instance_keys())
    with pytest.raises(DecryptionError):
        other.decrypt(token, PROSPECT_AAD)


def test_old_key_still_decrypts_after_the_current_key_changes(config):
    old_token = Keyring.from_config(config).encrypt("业主 李四", PROSPECT_AAD)
    rotated = Keyring.from_config(_with_new_current(config))
    assert rotated.decrypt(old_token, PROSPECT_AAD) == "业主 李四"
    assert rotated.encrypt("业主 李四", PROSPECT_AAD).startswith("k2:")
    assert not rotated.is_current(old_token)


def test_module_functions_refuse_without_a_keyring():
    with pytest.raises(CryptoConfigError, match="init_crypto"):
        crypto.encrypt("x", PROSPECT_AAD)


def test_repr_shows_key_ids_never_keys(config):
    text = repr(Keyring.from_config(config))
    assert "k1" in text
    assert config[KEYS_SETTING]["k1"] not in text
    assert config[BLIND_INDEX_SETTING] not in text


# --- blind index --------------------------------------------------------------------------


def test_blind_index_is_stable_fixed_length_hex_and_not_the_value(config, keyring):
    index = crypto.blind_index("13800138000", PHONE)
    assert index == Keyring.from_config(config).blind_index("13800138000", PHONE)
    assert len(index) == 64
    int(index, 16)
    assert "13800138000" not in index


@pytest.mark.parametrize(
    "typed",
    ["13800138000", "138 0013 8000", "+86 138-0013-8000", "8613800138000", "008613800138000"]
    + ["１３８００１３８０００", " 13800138000\t"],
)
def test_phone_index_ignores_spacing_prefix_and_full_width_digits(keyring, typed):
    assert crypto.blind_index(typed, PHONE) == crypto.blind_index("13800138000", PHONE)


def _phone_index_as_first_written(keyring: Keyring, value: str) -> str:
    """The phone index as it was written before the digits-only shortcut and the one-shot
    HMAC: every stored index must stay the same."""
    import hashlib
    import hmac
    import re
    import unicodedata

    value = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value)).upper()
    value = re.sub(r"[()\-]", "", value)
    for prefix in ("+86", "0086"):
        if value.startswith(prefix):
            value = value[len(prefix) :]
            break
    else:
        if value.startswith("86") and len(value) == 13:
            value = value[2:]
    message = PHONE.encode("ascii") + b"\x00" + value.encode("utf-8")
    return hmac.new(keyring._blind_key, message, hashlib.sha256).hexdigest()


@pytest.mark.parametrize(
    "typed",
    ["13800138000", "8613800138000", "008613800138000", "+8613800138000", "0201234567", "86"]
    + ["８６１３８００１３８０００", "(020)1234-567", "123456789012", "861234567890", "0"],
)
def test_phone_index_is_the_same_as_first_written(config, typed):
    keyring = Keyring.from_config(config)
    assert keyring.blind_index(typed, PHONE) == _phone_index_as_first_written(keyring, typed)


def test_landline_index_ignores_the_hyphen(keyring):
    assert crypto.blind_index("020-12345678", PHONE) == crypto.blind_index("02012345678", PHONE)


def test_id_number_index_ignores_case_and_spaces(keyring):
    expected = crypto.blind_index("11010519491231002X", ID_NUMBER)
    assert crypto.blind_index(" 110105 19491231 002x ", ID_NUMBER) == expected


def test_purposes_are_separate_index_spaces(keyring):
    digits = "11010519491231002"
    assert crypto.blind_index(digits, PHONE) != crypto.blind_index(digits, ID_NUMBER)


def test_blind_index_depends_on_its_key(config):
    other = Keyring.from_config(generate_instance_keys())
    mine = Keyring.from_config(config)
    assert mine.blind_index("13800138000", PHONE) != other.blind_index("13800138000", PHONE)


def test_blind_index_refuses_blank_and_unknown_purpose(keyring):
    with pytest.raises(ValueError, match="blank value"):
        crypto.blind_index("  ", PHONE)
    with pytest.raises(ValueError, match="purpose"):
        crypto.blind_index("13800138000", "mobile")


# --- configuration ------------------------------------------------------------------------

SHORT_KEY = base64.b64encode(b"sixteen byte key").decode()


def _drop(setting):
    return lambda c: {k: v for k, v in c.items() if k != setting}


@pytest.mark.parametrize(
    ("mutate", "setting"),
    [
        (_drop(KEYS_SETTING), KEYS_SETTING),
        (lambda c: {**c, KEYS_SETTING: {}}, KEYS_SETTING),
        (lambda c: {**c, KEYS_SETTING: "k1"}, KEYS_SETTING),
        (lambda c: {**c, KEYS_SETTING: {"k1": SHORT_KEY}}, KEYS_SETTING),
        (lambda c: {**c, KEYS_SETTING: {"k1": "not base64 at all!"}}, KEYS_SETTING),
        (lambda c: {**c, KEYS_SETTING: {"k1": 12345}}, KEYS_SETTING),
        (lambda c: {**c, KEYS_SETTING: {"k:1": generate_key()}}, KEYS_SETTING),
        (_drop(CURRENT_SETTING), CURRENT_SETTING),
        (lambda c: {**c, CURRENT_SETTING: "k9"}, CURRENT_SETTING),
        (lambda c: {**c, CURRENT_SETTING: c[BLIND_INDEX_SETTING]}, CURRENT_SETTING),
        (_drop(BLIND_INDEX_SETTING), BLIND_INDEX_SETTING),
        (lambda c: {**c, BLIND_INDEX_SETTING: SHORT_KEY}, BLIND_INDEX_SETTING),
        (lambda c: {**c, BLIND_INDEX_SETTING: "%%%"}, BLIND_INDEX_SETTING),
        (lambda c: {**c, BLIND_INDEX_SETTING: c[KEYS_SETTING]["k1"]}, BLIND_INDEX_SETTING),
    ],
    ids=[
        "keys-missing",
        "keys-empty",
        "keys-not-a-mapping",
        "key-short",
        "key-bad-base64",
        "key-not-text",
        "key-id-with-colon",
        "current-missing",
        "current-unknown",
        "current-is-a-key-by-mistake",
        "blind-missing",
        "blind-short",
        "blind-bad-base64",
        "blind-same-as-data-key",
    ],
)
def test_config_errors_name_the_setting_and_never_the_key(config, mutate, setting):
    bad = mutate(config)
    with pytest.raises(CryptoConfigError, match=setting) as caught:
        Keyring.from_config(bad)
    message = str(caught.value)
    secrets = [config[BLIND_INDEX_SETTING], config[KEYS_SETTING]["k1"], SHORT_KEY]
    assert not any(secret in message for secret in secrets)


def test_init_crypto_reads_the_instance_config_and_activates_the_keyring(config):
    app = Flask(__name__)
    app.config.update(config)
    ring = init_crypto(app)
    assert crypto.get_keyring() is ring
    assert app.extensions["crypto"] is ring
    assert ring.current_id == "k1"


def test_init_crypto_refuses_to_start_without_keys():
    with pytest.raises(CryptoConfigError, match=KEYS_SETTING):
        init_crypto(Flask(__name__))


def test_init_crypto_reads_panel_environment_variables(config, monkeypatch):
    monkeypatch.setenv("PANEL_ENCRYPTION_KEYS", json.dumps(config[KEYS_SETTING]))
    monkeypatch.setenv("PANEL_ENCRYPTION_CURRENT_KEY", "k1")
    monkeypatch.setenv("PANEL_BLIND_INDEX_KEY", config[BLIND_INDEX_SETTING])
    app = Flask(__name__)
    app.config.from_prefixed_env("PANEL")
    ring = init_crypto(app)
    assert ring.decrypt(Keyring.from_config(config).encrypt("张三", b"a.b"), b"a.b") == "张三"


def test_init_crypto_reads_one_environment_variable_per_key(config, monkeypatch):
    monkeypatch.setenv("PANEL_ENCRYPTION_KEYS__k1", config[KEYS_SETTING]["k1"])
    monkeypatch.setenv("PANEL_ENCRYPTION_KEYS__k2", generate_key())
    monkeypatch.setenv("PANEL_ENCRYPTION_CURRENT_KEY", "k2")
    monkeypatch.setenv("PANEL_BLIND_INDEX_KEY", config[BLIND_INDEX_SETTING])
    app = Flask(__name__)
    app.config.from_prefixed_env("PANEL")
    assert init_crypto(app).key_ids == ("k1", "k2")


def test_url_safe_base64_keys_are_accepted(config):
    raw = bytes(range(250, 256)) * 5 + b"\xfb\xff"
    config[KEYS_SETTING]["k1"] = base64.urlsafe_b64encode(raw).decode()
    assert Keyring.from_config(config).key_ids == ("k1",)


def test_generated_instance_keys_are_valid_and_fresh():
    first, second = generate_instance_keys(), generate_instance_keys()
    assert Keyring.from_config(first).current_id == "k1"
    assert first[KEYS_SETTING]["k1"] != second[KEYS_SETTING]["k1"]
    assert first[BLIND_INDEX_SETTING] != first[KEYS_SETTING]["k1"]


# --- the column type and the blind-index column -------------------------------------------


def _models(prefix: str = "") -> SimpleNamespace:
    """Throwaway models: the bindings stay fixed while the table names carry a prefix."""

    class ThrowawayBase(DeclarativeBase):
        pass

    class Prospect(ThrowawayBase):
        __tablename__ = f"{prefix}prospects"
        id: Mapped[int] = mapped_column(Integer, primary_key=True)
        name: Mapped[str] = mapped_column(String(50))
        mobile: Mapped[str | None] = mapped_column(EncryptedString("prospects.mobile", 20))
        mobile_bidx: Mapped[str | None] = blind_index_column()
        notes: Mapped[str | None] = mapped_column(EncryptedString("prospects.notes"))
        updated_at: Mapped[datetime] = mapped_column(
            DateTime, default=lambda: STAMP, onupdate=datetime.now
        )

    class Owner(ThrowawayBase):
        __tablename__ = f"{prefix}owners"
        id: Mapped[int] = mapped_column(Integer, primary_key=True)
        mobile: Mapped[str | None] = mapped_column(EncryptedString("owners.mobile", 20))
        mobile_bidx: Mapped[str | None] = blind_index_column()

    keep_blind_index(Prospect.mobile, Prospect.mobile_bidx, PHONE)
    keep_blind_index(Owner.mobile, Owner.mobile_bidx, PHONE)
    return SimpleNamespace(Base=ThrowawayBase, Prospect=Prospect, Owner=Owner)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, keyring):
    if request.param == "sqlite":
        engine, prefix = create_engine("sqlite://"), ""
    else:
        url = os.environ.get("TEST_DATABASE_URL", "")
        if not url.startswith("postgresql"):
            pytest.skip("TEST_DATABASE_URL does not name a PostgreSQL database")
        # Unique names: the suite's own tables may live in the same database.
        engine, prefix = create_engine(url), f"crypto_{uuid.uuid4().hex[:8]}_"
    models = _models(prefix)
    models.Base.metadata.create_all(engine)
    try:
        yield SimpleNamespace(engine=engine, **vars(models))
    finally:
        models.Base.metadata.drop_all(engine)
        engine.dispose()


def _raw(db, model, name: str) -> list:
    """Stored values as the database holds them, past the type's decryption."""
    stored = table(model.__tablename__, column("id"), column(name))
    with db.engine.connect() as conn:
        return conn.execute(select(stored.c[name]).order_by(stored.c.id)).scalars().all()


def test_encrypted_column_stores_ciphertext_and_loads_plaintext(db):
    with Session(db.engine) as session:
        session.add(db.Prospect(name="张三", mobile="13800138000", notes="想要南向三居 🏠"))
        session.add(db.Prospect(name="李四", mobile=None, notes=None))
        session.commit()

    mobiles, notes = _raw(db, db.Prospect, "mobile"), _raw(db, db.Prospect, "notes")
    assert mobiles[0].startswith("k1:") and "13800138000" not in mobiles[0]
    assert notes[0].startswith("k1:") and "南向" not in notes[0]
    assert mobiles[1] is None and notes[1] is None

    with Session(db.engine) as session:
        rows = session.scalars(select(db.Prospect).order_by(db.Prospect.id)).all()
        assert (rows[0].mobile, rows[0].notes) == ("13800138000", "想要南向三居 🏠")
        assert (rows[1].mobile, rows[1].notes) == (None, None)


def test_token_copied_between_tables_fails_to_load(db):
    with Session(db.engine) as session:
        session.add(db.Prospect(id=1, name="张三", mobile="13800138000"))
        session.add(db.Owner(id=1, mobile="13900139000"))
        session.commit()
    stolen = _raw(db, db.Prospect, "mobile")[0]
    with db.engine.begin() as conn:
        owners = db.Owner.__table__
        conn.execute(update(owners).values(mobile=type_coerce(stolen, Text())))
    with Session(db.engine) as session, pytest.raises(DecryptionError, match="owners.mobile"):
        session.scalars(select(db.Owner.mobile)).all()


def test_encrypted_column_enforces_its_plaintext_length(db):
    with Session(db.engine) as session:
        session.add(db.Prospect(name="张三", mobile="1" * 21))
        with pytest.raises(StatementError, match="at most 20 characters") as caught:
            session.flush()
        assert "1" * 21 not in str(caught.value.orig)


def test_sql_comparison_with_an_encrypted_column_is_refused(db):
    mobile = db.Prospect.mobile
    for compare in (
        lambda: mobile == "13800138000",
        lambda: mobile.ilike("%138%"),
        lambda: mobile.in_(["13800138000"]),
        lambda: "86" + mobile,
    ):
        with pytest.raises(EncryptedComparisonError, match="blind_match"):
            compare()
    # NULL tests and ordering stay available.
    with Session(db.engine) as session:
        session.add(db.Prospect(name="张三", mobile=None))
        session.commit()
        query = select(db.Prospect.id).where(mobile.is_(None), mobile == None)  # noqa: E711
        assert session.scalars(query.order_by(mobile.desc())).all() == [1]


def test_blind_index_follows_assignment_and_blind_match_finds_the_row(db):
    with Session(db.engine) as session:
        zhang = db.Prospect(name="张三", mobile="+86 138 0013 8000")
        assert zhang.mobile_bidx == crypto.blind_index("13800138000", PHONE)
        session.add_all([zhang, db.Prospect(name="李四", mobile="13900139000")])
        session.commit()

        def find(term):
            query = select(db.Prospect.name).where(
                blind_match(db.Prospect.mobile_bidx, term, PHONE)
            )
            return session.scalars(query).all()

        assert find("138-0013-8000") == ["张三"]
        assert find("13700137000") == []
        assert find("  ") == [] and find(None) == []

        zhang.mobile = "13700137000"
        session.commit()
        assert find("13800138000") == []
        assert find("13700137000") == ["张三"]

        zhang.mobile = None
        session.commit()
        assert zhang.mobile_bidx is None
        assert _raw(db, db.Prospect, "mobile_bidx")[0] is None


def test_form_populate_keeps_the_blind_index_in_step(db):
    class ProspectForm(Form):
        name = StringField()
        mobile = StringField()

    with Session(db.engine) as session:
        prospect = db.Prospect(name="张三", mobile="13800138000")
        session.add(prospect)
        session.commit()
        ProspectForm(MultiDict({"name": "张三", "mobile": "139 0013 9000"})).populate_obj(prospect)
        session.commit()
        assert prospect.mobile_bidx == crypto.blind_index("13900139000", PHONE)
        ProspectForm(MultiDict({"name": "张三", "mobile": ""})).populate_obj(prospect)
        assert prospect.mobile_bidx is None


def test_keep_blind_index_checks_its_arguments():
    models = _models()
    with pytest.raises(ValueError, match="purpose"):
        keep_blind_index(models.Prospect.mobile, models.Prospect.mobile_bidx, "mobile")
    with pytest.raises(ValueError, match="same model"):
        keep_blind_index(models.Prospect.mobile, models.Owner.mobile_bidx, PHONE)


def test_binding_must_name_a_column_and_check_bindings_finds_slips():
    with pytest.raises(ValueError, match="table.column"):
        EncryptedString("mobile")
    models = _models("copy_")
    assert [c.name for c in encrypted_columns(models.Base.metadata)] == [
        "mobile",
        "mobile",
        "notes",
    ]
    assert check_bindings(_models().Base.metadata) == []
    assert check_bindings(models.Base.metadata) == [
        "copy_owners.mobile is bound as 'owners.mobile'",
        "copy_prospects.mobile is bound as 'prospects.mobile'",
        "copy_prospects.notes is bound as 'prospects.notes'",
    ]


def test_the_type_is_cacheable_and_keeps_its_binding():
    from sqlalchemy.dialects import postgresql

    compiled = select(column("x", EncryptedString("prospects.mobile"))).compile(
        dialect=postgresql.dialect()
    )
    assert "x" in str(compiled)
    assert EncryptedString("a.b")._static_cache_key != EncryptedString("a.c")._static_cache_key


# --- rotation -----------------------------------------------------------------------------


def _seed(db, count: int) -> None:
    with Session(db.engine) as session:
        for n in range(count):
            session.add(
                db.Prospect(name=f"客户{n}", mobile=f"1380013{n:04d}", notes=f"备注 {n} 😀")
            )
        session.add(db.Prospect(name="无电话", mobile=None, notes=None))
        session.commit()


def _plaintexts(db) -> list:
    with Session(db.engine) as session:
        rows = session.scalars(select(db.Prospect).order_by(db.Prospect.id)).all()
        return [(p.mobile, p.notes) for p in rows]


def test_rotation_reencrypts_every_row_and_is_idempotent(db, config):
    _seed(db, 7)
    before = _plaintexts(db)
    ring = Keyring.from_config(_with_new_current(config))
    crypto.set_keyring(ring)
    batches = []

    with Session(db.engine) as session:
        result = rotate(
            session,
            [db.Prospect.mobile, db.Prospect.notes],
            batch_size=3,
            progress=lambda binding, done: batches.append((binding, done)),
        )
    assert result == {
        "prospects.mobile": ColumnRotation(reencrypted=7),
        "prospects.notes": ColumnRotation(reencrypted=7),
    }
    assert batches == [("prospects.mobile", n) for n in (3, 6, 7)] + [
        ("prospects.notes", n) for n in (3, 6, 7)
    ]
    for name in ("mobile", "notes"):
        stored = [v for v in _raw(db, db.Prospect, name) if v is not None]
        assert len(stored) == 7 and all(v.startswith("k2:") for v in stored)
    assert _plaintexts(db) == before
    # Rotation is not an edit: the onupdate timestamp is left alone.
    with Session(db.engine) as session:
        assert set(session.scalars(select(db.Prospect.updated_at))) == {STAMP}

    columns = encrypted_columns(db.Base.metadata)
    with Session(db.engine) as session:
        again = rotate(session, columns, batch_size=3)
    # Every column was walked (the rotated two among them) and nothing was left to do.
    assert len(again) == len(columns) and {"prospects.mobile", "prospects.notes"} <= set(again)
    assert all(counts == ColumnRotation() for counts in again.values())


class _HookedKeyring(Keyring):
    """Calls ``hook(n)`` before its n-th encryption: to crash, or to edit a row, mid-rotation."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls = 0
        self.hook = lambda n: None

    def encrypt(self, plaintext, aad):
        self.calls += 1
        self.hook(self.calls)
        return super().encrypt(plaintext, aad)


def test_interrupted_rotation_keeps_finished_batches_and_resumes(db, config):
    _seed(db, 7)
    before = _plaintexts(db)
    settings = _with_new_current(config)
    crashing = _HookedKeyring.from_config(settings)

    def crash(n):
        if n == 5:  # the second row of the second batch
            raise RuntimeError("simulated interruption")

    crashing.hook = crash
    with Session(db.engine) as session, pytest.raises(RuntimeError, match="simulated"):
        rotate(session, [db.Prospect.mobile], batch_size=3, keyring=crashing)

    stored = [v for v in _raw(db, db.Prospect, "mobile") if v is not None]
    assert [v[:3] for v in stored] == ["k2:"] * 3 + ["k1:"] * 4  # batch 2 rolled back whole

    ring = Keyring.from_config(settings)
    with Session(db.engine) as session:
        resumed = rotate(session, [db.Prospect.mobile], batch_size=3, keyring=ring)
    assert resumed == {"prospects.mobile": ColumnRotation(reencrypted=4)}
    crypto.set_keyring(ring)
    assert _plaintexts(db) == before


def test_rotation_never_overwrites_a_concurrent_edit(db, config):
    _seed(db, 2)
    settings = _with_new_current(config)
    crypto.set_keyring(Keyring.from_config(settings))
    ring = _HookedKeyring.from_config(settings)
    prospects = db.Prospect.__table__

    with Session(db.engine) as session:

        def clerk_saves_row_1(n):
            # Between rotation's read of row 1 and its conditional write.
            if n == 1:
                fresh = crypto.encrypt("13999999999", PROSPECT_AAD)
                session.execute(
                    update(prospects)
                    .where(prospects.c.id == 1)
                    .values(mobile=type_coerce(fresh, Text()))
                )

        ring.hook = clerk_saves_row_1
        result = rotate(session, [db.Prospect.mobile], keyring=ring)

    assert result == {"prospects.mobile": ColumnRotation(reencrypted=1, skipped=1)}
    assert [mobile for mobile, _ in _plaintexts(db)] == ["13999999999", "13800130001", None]


def test_rotation_stops_on_a_value_it_cannot_open_and_names_the_row(db):
    _seed(db, 2)
    # Another k1 than the one that sealed the rows: a wrongly restored instance config.
    wrong = Keyring.from_config(_with_new_current(generate_instance_keys(), "k9"))
    with Session(db.engine) as session, pytest.raises(DecryptionError, match=r"row 1\b"):
        rotate(session, [db.Prospect.mobile], keyring=wrong)


def test_rotation_refuses_a_column_that_is_not_encrypted(db):
    with Session(db.engine) as session, pytest.raises(TypeError, match="not an EncryptedString"):
        rotate(session, [db.Prospect.name])
