"""The Chinese catalogue (translations/zh_Hans_CN/LC_MESSAGES/messages.po) is the one place
the Chinese is kept: every message the code and the templates ask for has its Chinese there,
and no template writes Chinese of its own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[3]
CATALOGUE = ROOT / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}
#: Folders the extraction skips (the same as `make translations-update`).
SKIPPED = {".venv", "migrations", "tests", "bench", ".git", "node_modules"}
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")
#: A language's own name on the language switch is written in that language on purpose.
OWN_NAMES = {"中文"}


def _code_messages() -> dict[str, str]:
    """msgid -> where it is used, extracted like `make translations-update` does."""
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]

    def wanted(dirname: str, _filename: str) -> bool:
        return not any(part in SKIPPED for part in Path(dirname).parts)

    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, keywords=KEYWORDS, callback=None, directory_filter=None
    ):
        if any(part in SKIPPED for part in Path(filename).parts):
            continue
        # A plural message is kept under its singular msgid.
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, f"{filename}:{lineno}")
    return found


@pytest.fixture(scope="module")
def catalogue():
    with CATALOGUE.open("rb") as fh:
        return read_po(fh, locale="zh_Hans_CN")


def test_every_message_of_the_code_has_its_chinese(catalogue):
    missing = []
    for msgid, where in sorted(_code_messages().items()):
        message = catalogue.get(msgid)
        text = message.string if message is not None else None
        if isinstance(text, tuple):
            text = text[0]
        if not text or (message is not None and message.fuzzy):
            missing.append(f"{where}: {msgid!r}")
    assert not missing, "no Chinese in the catalogue for:\n" + "\n".join(missing)


def test_templates_write_no_chinese_of_their_own():
    # Chinese belongs in the catalogue, where a translator finds it and English can replace
    # it; a template's own Chinese shows to English readers too.
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            text = line
            for name in OWN_NAMES:
                text = text.replace(name, "")
            if CJK.search(text):
                found.append(f"{path.relative_to(ROOT)}:{lineno}: {line.strip()}")
    assert not found, "Chinese written in templates:\n" + "\n".join(found)
