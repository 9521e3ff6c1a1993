"""The instance's key file: where a fresh install keeps its encryption keys.

``python -m services.admin.keyfile [path]`` writes ``instance/encryption_keys.json`` (owner-only)
with a new data key and blind-index key, unless the file exists: keys are never replaced,
since data sealed with them would be lost. create_app reads the file when the keys are not
in instance/config.py or the environment.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from core.crypto import generate_instance_keys

FILE_NAME = "encryption_keys.json"


def read_keys(path: Path) -> dict:
    """The settings in ``path``, or {} if there is no file."""
    if not path.exists():
        return {}
    return json.loads(path.read_text())


def write_instance_keys(path: Path) -> bool:
    """Create ``path`` with fresh keys; False (and nothing written) if it exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: two set-up runs at once cannot both write, and an existing file is kept.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as handle:
        json.dump(generate_instance_keys(), handle, indent=2)
    return True


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else Path("instance") / FILE_NAME)
    if write_instance_keys(target):
        print(f"wrote new encryption keys to {target}; keep a copy apart from the backups")
    else:
        print(f"{target} exists; keys left as they are")
