"""docs/hardening.md counts the bad inputs the suite tries; this keeps the counts true.

The table is generated from the test modules' own lists. After changing a list, print the new
table with ``.venv/bin/python -m tests.unit.shared.test_hardening_doc`` and paste it in.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests import nasty_inputs
from tests.unit.shared import test_properties
from tests.unit.shared.test_redirects import NASTY
from tests.web.shared import test_crafted_forms
from tests.web.shared.test_crafted_params import CRAFTED

DOC = Path(__file__).resolve().parents[3] / "docs" / "hardening.md"


def _properties() -> int:
    return len(re.findall(r"^\s*@given\(", Path(test_properties.__file__).read_text(), re.M))


def rows() -> list[tuple[str, int, str]]:
    """(kind, count, where it is tried) for every kind of bad input."""
    return [
        ("Free text in form fields", len(nasty_inputs.TEXT), "tests/nasty_inputs.py TEXT"),
        ("Numbers in form fields", len(nasty_inputs.NUMBERS), "tests/nasty_inputs.py NUMBERS"),
        ("Dates in form fields", len(nasty_inputs.DATES), "tests/nasty_inputs.py DATES"),
        (
            "One field alone on a create form",
            len(test_crafted_forms.ALONE),
            "tests/web/shared/test_crafted_forms.py ALONE",
        ),
        ("Request headers", len(nasty_inputs.HEADERS), "tests/nasty_inputs.py HEADERS"),
        (
            "Redirect targets (`next`)",
            len(NASTY),
            "tests/unit/shared/test_redirects.py NASTY",
        ),
        (
            "List parameters (page, sort, filters, search)",
            len(CRAFTED),
            "tests/web/shared/test_crafted_params.py CRAFTED",
        ),
        (
            "Generated properties (Hypothesis, 200 examples each)",
            _properties(),
            "tests/unit/shared/test_properties.py",
        ),
    ]


def table() -> str:
    lines = ["| Kind | Count | List |", "|---|---:|---|"]
    lines += [f"| {kind} | {count} | {where} |" for kind, count, where in rows()]
    return "\n".join(lines)


def test_the_doc_counts_what_the_suite_tries():
    assert table() in DOC.read_text(encoding="utf-8"), (
        "docs/hardening.md is out of date; its table should read:\n" + table()
    )


if __name__ == "__main__":
    print(table())
