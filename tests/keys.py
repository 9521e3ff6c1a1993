"""Fixed encryption keys for test apps (never used outside tests)."""

import base64

TEST_KEYS = {
    "ENCRYPTION_KEYS": {"t1": base64.b64encode(b"t" * 32).decode()},
    "ENCRYPTION_CURRENT_KEY": "t1",
    "BLIND_INDEX_KEY": base64.b64encode(b"b" * 32).decode(),
}
