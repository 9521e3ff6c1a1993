"""Maintainer tool: merge a {msgid: translation} dict file into a catalogue.

    python translations/fill.py zh_Hans_CN path/to/dict.py

The dict file defines ``ZH`` (or ``EN``). Existing translations are overwritten.
"""

import runpy
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

locale, source = sys.argv[1], sys.argv[2]
mapping = next(v for k, v in runpy.run_path(source).items() if k.isupper() and isinstance(v, dict))
path = Path(__file__).parent / locale / "LC_MESSAGES" / "messages.po"
with path.open("rb") as fh:
    catalog = read_po(fh, locale=locale)
missing = 0
for message in catalog:
    if message.id and message.id in mapping:
        message.string = mapping[message.id]
        message.flags.discard("fuzzy")
    elif message.id and not message.string:
        missing += 1
with path.open("wb") as fh:
    write_po(fh, catalog, width=100)
print(f"{path}: {missing} untranslated")
