"""The bad inputs the suite throws at the panel, by kind, in one place.

tests/web/shared/test_crafted_forms.py posts them into every create form and sends the header
values with a few pages; docs/hardening.md lists the kinds with their counts, and
tests/unit/shared/test_hardening_doc.py keeps those counts equal to the lists below.
"""

from __future__ import annotations

# Free text: lengths, invisible and control characters, scripts, injections and formulas.
TEXT = [
    "",
    " ",
    "x" * 10_000,
    "王" * 5_000,
    "a\x00b",
    "\x00",
    "\x01\x02\x1b[31m\x7f",
    "line\r\nbreak\nSet-Cookie: x=1",
    "\t\x0b\x0c",
    "\u202eevil\u202c",
    "\u200b\u200d\ufeff",
    "\u2028\u2029",
    "😀👨‍👩‍👧‍👦🏳️‍🌈",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}{% raw %}",
    "' OR 1=1 --",
    "'; DROP TABLE prospect; --",
    "%s%s%s%n",
    "%(name)s",
    "=HYPERLINK(\"http://evil.example\",\"x\")",
    "=cmd|' /C calc'!A0",
    "+1+1",
    "@SUM(1)",
    "../../etc/passwd",
    "null",
    "None",
]

# Numbers typed into number, id and select fields.
NUMBERS = [
    "0",
    "-1",
    "-0",
    "-99999999999999999999",
    "99999999999999999999999999999999",
    "2147483648",
    "9223372036854775808",
    "1e308",
    "1e309",
    "NaN",
    "inf",
    "-inf",
    "0x10",
    "1_000",
    "3.14159265358979323846264338327950288",
    "１２３",
    "٣",
]

# Dates typed into date fields.
DATES = [
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2026-02-30",
    "2026-13-01",
    "2026-00-10",
    "2026-11-25T25:61:61",
    "26-11-2026",
    "2026/11/25",
    "-2026-11-25",
    "１９７０-０１-０１",
]

# Request headers sent with a few pages.
HEADERS = [
    {"Accept-Language": "x" * 5_000},
    {"Accept-Language": "zh;q=abc, en;q=-1, *;q=99999999999"},
    {"Accept-Language": "\u202e\x00zh-CN"},
    {"Accept-Language": ";;;,,,=q"},
    {"Cookie": "session=" + "A" * 8_000},
    {"Cookie": "a=" + "b;" * 2_000},
    {"Cookie": "session=\x7f\x01%%%"},
    {"X-Forwarded-For": "not-an-address, ::::, 999.999.999.999"},
    {"X-Forwarded-For": ", , ,"},
    {"X-Forwarded-Proto": "gopher"},
    {"X-Forwarded-Host": "evil.example\x00"},
    {"X-Forwarded-Port": "-1"},
    {"X-Forwarded-Prefix": "/../../"},
    {"Host": "evil\x01.example"},
    {"Host": "x" * 2_000},
    {"Host": "[::1"},
    {"Referer": "javascript:alert(1)"},
    {"User-Agent": "\x00" * 100},
]

#: Every value a form field is filled with.
FORM_VALUES = TEXT + NUMBERS + DATES
