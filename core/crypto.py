"""Encryption at rest (AES-256-GCM with key ids) and keyed blind indexes for exact search.

A value is stored as the token ``"<key id>:<base64(nonce | ciphertext | tag)>"``. The key id
names the data key that sealed it, so old keys keep decrypting after the current key
changes and key rotation (services/admin/key_rotation.py) can find what is left to re-encrypt. The additional
authenticated data (AAD) names the table and column, so a token copied into another column
fails to decrypt instead of showing someone else's data.

A blind index is an HMAC-SHA256 of a normalised value under a key of its own: equal inputs
give equal indexes, which allows an exact-match lookup and nothing else (no prefix, no
range, no LIKE). See docs/encryption.md.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import re
import unicodedata
from collections.abc import Callable, Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
#: Key ids are short and never contain the token's ":" separator.
KEY_ID_RE = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,15}")

KEYS_SETTING = "ENCRYPTION_KEYS"
CURRENT_SETTING = "ENCRYPTION_CURRENT_KEY"
BLIND_INDEX_SETTING = "BLIND_INDEX_KEY"

#: Blind-index purposes; each keeps a separate index space.
PHONE = "phone"
ID_NUMBER = "id_number"


class CryptoConfigError(RuntimeError):
    """The keys in the configuration are missing or malformed; the message names the setting."""


class DecryptionError(ValueError):
    """A token could not be opened: unknown key id, wrong key, wrong AAD, or tampering."""


def _normalise_common(value: str) -> str:
    # NFKC folds full-width digits and letters typed with a Chinese IME (１３８, Ｘ) to ASCII.
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value)).upper()


def _normalise_phone(value: str) -> str:
    # Same rule as forms.shared.validators.normalise_phone, plus hyphens: 020-1234567 = 0201234567.
    if not (value.isascii() and value.isdigit()):
        # ASCII digits alone (most numbers, every stored one) are already in this form.
        value = re.sub(r"[()\-]", "", _normalise_common(value))
    if value.startswith("+86"):
        return value[3:]
    if value.startswith("0086"):
        return value[4:]
    if value.startswith("86") and len(value) == 13:
        return value[2:]
    return value


#: Purpose -> normaliser. A purpose not listed here is a programming error, not a new space.
NORMALISERS: dict[str, Callable[[str], str]] = {
    PHONE: _normalise_phone,
    ID_NUMBER: _normalise_common,
}


def normalise(value: str, purpose: str) -> str:
    """The form of ``value`` that the blind index of ``purpose`` hashes."""
    try:
        normaliser = NORMALISERS[purpose]
    except KeyError:
        raise ValueError(f"unknown blind-index purpose {purpose!r}") from None
    return normaliser(value)


class Keyring:
    """Data keys by id (one current) and the blind-index key. Its repr never shows a key."""

    __slots__ = ("_ciphers", "_blind_key", "current_id")

    def __init__(self, keys: Mapping[str, bytes], current_id: str, blind_index_key: bytes):
        if current_id not in keys:
            raise CryptoConfigError(f"{CURRENT_SETTING} names a key id not in {KEYS_SETTING}")
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._blind_key = blind_index_key
        self.current_id = current_id

    def __repr__(self) -> str:
        return f"<Keyring current={self.current_id!r} ids={sorted(self._ciphers)!r}>"

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(sorted(self._ciphers))

    @classmethod
    def from_config(cls, config: Mapping) -> Keyring:
        """Build from Flask config values; raise CryptoConfigError naming the bad setting."""
        raw_keys = config.get(KEYS_SETTING)
        if not raw_keys:
            raise CryptoConfigError(
                f"{KEYS_SETTING} is not set: put it in instance/config.py or "
                f"PANEL_{KEYS_SETTING} (JSON object of key id -> base64 key)"
            )
        if not isinstance(raw_keys, Mapping):
            raise CryptoConfigError(
                f"{KEYS_SETTING} must be a mapping of key id -> base64 key "
                f'(PANEL_{KEYS_SETTING} as JSON: {{"k1": "..."}})'
            )
        keys = {}
        for key_id, encoded in raw_keys.items():
            if not isinstance(key_id, str) or not KEY_ID_RE.fullmatch(key_id):
                raise CryptoConfigError(
                    f"{KEYS_SETTING} has a key id that is not a short name such as 'k1' "
                    "(a letter, then letters, digits, '_' or '-', at most 16 characters)"
                )
            keys[key_id] = _decode_key(encoded, f"{KEYS_SETTING}[{key_id!r}]")

        current_id = config.get(CURRENT_SETTING)
        if not current_id:
            raise CryptoConfigError(
                f"{CURRENT_SETTING} is not set (the id of the key to encrypt with)"
            )
        if not isinstance(current_id, str) or current_id not in keys:
            # Echo the id only if it looks like one: a key pasted here by mistake stays unsaid.
            shown = (
                f" {current_id!r}"
                if isinstance(current_id, str) and KEY_ID_RE.fullmatch(current_id)
                else ""
            )
            raise CryptoConfigError(
                f"{CURRENT_SETTING}{shown} is not a key id in {KEYS_SETTING} "
                f"(known: {', '.join(sorted(keys))})"
            )

        encoded_blind = config.get(BLIND_INDEX_SETTING)
        if not encoded_blind:
            raise CryptoConfigError(f"{BLIND_INDEX_SETTING} is not set (base64 of 32 bytes)")
        blind_key = _decode_key(encoded_blind, BLIND_INDEX_SETTING)
        if any(hmac.compare_digest(blind_key, key) for key in keys.values()):
            raise CryptoConfigError(f"{BLIND_INDEX_SETTING} must differ from every data key")
        return cls(keys, current_id, blind_key)

    def encrypt(self, plaintext: str, aad: bytes) -> str:
        """A fresh token for ``plaintext`` under the current key (random nonce each call)."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[self.current_id].encrypt(nonce, plaintext.encode("utf-8"), aad)
        return f"{self.current_id}:{base64.b64encode(nonce + sealed).decode('ascii')}"

    def encrypt_many(self, plaintexts: list[str], aad: bytes) -> list[str]:
        """``[encrypt(p, aad) for p in plaintexts]`` in one go: the same tokens (a random
        nonce each, of one call to the system's random source for them all), the cipher
        looked up once. An import seals a few values a card, some 400,000 at 100,000 cards,
        and the calls per value cost more than the sealing (issue 22, sixth pass)."""
        if not plaintexts:
            return []
        cipher_encrypt = self._ciphers[self.current_id].encrypt
        prefix = self.current_id + ":"
        nonces = os.urandom(NONCE_BYTES * len(plaintexts))
        b64encode = binascii.b2a_base64
        tokens = []
        for at, plaintext in enumerate(plaintexts):
            nonce = nonces[at * NONCE_BYTES : (at + 1) * NONCE_BYTES]
            sealed = cipher_encrypt(nonce, plaintext.encode("utf-8"), aad)
            # b2a_base64 without its newline is base64.b64encode's text, one call shorter
            tokens.append(prefix + b64encode(nonce + sealed, newline=False).decode("ascii"))
        return tokens

    def decrypt(self, token: str, aad: bytes) -> str:
        """The plaintext of ``token``; DecryptionError unless key id, key, AAD and bytes all match."""
        key_id, sep, body = token.partition(":")
        if not sep:
            raise DecryptionError("not an encrypted token")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise DecryptionError(f"token sealed with key id {key_id!r}, not in the keyring")
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise DecryptionError("token body is not base64") from None
        if len(raw) < NONCE_BYTES + TAG_BYTES:
            raise DecryptionError("token is too short")
        try:
            plain = cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad)
        except InvalidTag:
            raise DecryptionError(
                "token does not authenticate (wrong key, column or tampered)"
            ) from None
        return plain.decode("utf-8")

    def is_current(self, token: str) -> bool:
        return token.startswith(self.current_id + ":")

    def blind_index(self, value: str, purpose: str) -> str:
        """64 hex characters: HMAC-SHA256 of ``purpose`` and the normalised value."""
        normalised = normalise(value, purpose)
        if not normalised:
            raise ValueError("a blank value has no blind index")
        message = purpose.encode("ascii") + b"\x00" + normalised.encode("utf-8")
        # the one-shot HMAC (the same value as hmac.new(...).hexdigest()): an import computes
        # a few hundred thousand of these
        return hmac.digest(self._blind_key, message, "sha256").hex()


def _decode_key(encoded: object, setting: str) -> bytes:
    # The messages name the setting and never echo the value: it is a secret.
    if not isinstance(encoded, str):
        raise CryptoConfigError(f"{setting} must be a base64 string")
    try:
        # Accept the URL-safe alphabet too: keys pasted from other tools often use it.
        standard = encoded.strip().replace("-", "+").replace("_", "/")
        key = base64.b64decode(standard, validate=True)
    except (binascii.Error, ValueError):
        raise CryptoConfigError(f"{setting} is not valid base64") from None
    if len(key) != KEY_BYTES:
        raise CryptoConfigError(f"{setting} must decode to {KEY_BYTES} bytes, got {len(key)}")
    return key


def generate_key() -> str:
    """A new random 256-bit key, base64, for ENCRYPTION_KEYS or BLIND_INDEX_KEY."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def generate_instance_keys() -> dict:
    """Settings for a fresh instance: one data key ``k1`` (current) and a blind-index key."""
    return {
        KEYS_SETTING: {"k1": generate_key()},
        CURRENT_SETTING: "k1",
        BLIND_INDEX_SETTING: generate_key(),
    }


_active: Keyring | None = None


def init_crypto(app) -> Keyring:
    """Build the keyring from ``app.config`` and make it active; CryptoConfigError stops start-up."""
    keyring = Keyring.from_config(app.config)
    set_keyring(keyring)
    app.extensions["crypto"] = keyring
    return keyring


def set_keyring(keyring: Keyring | None) -> Keyring | None:
    """Make ``keyring`` active (tests, scripts); returns the one it replaces."""
    global _active
    previous, _active = _active, keyring
    return previous


def get_keyring() -> Keyring:
    if _active is None:
        raise CryptoConfigError("encryption is not configured: create_app must call init_crypto")
    return _active


def encrypt(plaintext: str, aad: bytes) -> str:
    """Seal ``plaintext`` with the active keyring's current key."""
    return get_keyring().encrypt(plaintext, aad)


def encrypt_many(plaintexts: list[str], aad: bytes) -> list[str]:
    """Seal each of ``plaintexts`` with the active keyring's current key (``Keyring.encrypt_many``)."""
    return get_keyring().encrypt_many(plaintexts, aad)


def decrypt(token: str, aad: bytes) -> str:
    """Open ``token`` with the active keyring; DecryptionError rather than garbage."""
    return get_keyring().decrypt(token, aad)


def blind_index(value: str, purpose: str) -> str:
    """The active keyring's blind index of ``value`` for ``purpose``."""
    return get_keyring().blind_index(value, purpose)
