"""Maintainer tool: refresh the catalogues from the code and the translation dicts.

    python translations/fill.py            # extract, update both catalogues, fill from dicts

Every ``translations/dicts/*.py`` defines one upper-case dict {English msgid: Chinese}. The
Chinese catalogue takes those; the English catalogue is left empty (msgids are English).
Prints the msgids still untranslated in Chinese.
"""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def load_dicts() -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted((HERE / "dicts").glob("*.py")):
        for name, value in runpy.run_path(str(path)).items():
            if name.isupper() and isinstance(value, dict):
                merged.update(value)
    return merged


def main() -> int:
    pybabel = str(Path(sys.executable).with_name("pybabel"))
    subprocess.run(
        [
            pybabel,
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-k",
            "_",
            "-o",
            "translations/messages.pot",
            "--ignore-dirs=.venv migrations tests bench .git",
            "--no-location",
            "--omit-header",
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            pybabel,
            "update",
            "-i",
            "translations/messages.pot",
            "-d",
            "translations",
            "--no-fuzzy-matching",
            "--ignore-obsolete",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    mapping = load_dicts()
    path = HERE / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale="zh_Hans_CN")
    missing = []
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        if key in mapping:
            message.string = mapping[key] if isinstance(message.id, str) else (mapping[key],)
            message.flags.discard("fuzzy")
        elif not message.string:
            missing.append(key)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False)
    for key in missing:
        print("untranslated:", key)
    print(f"{len(missing)} untranslated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
