"""The one redirect-safety check (core/redirects.py) over nasty ``next`` values."""

from __future__ import annotations

import random

import pytest

from core.redirects import MAX_TARGET_LENGTH, is_safe_local_path

SAFE = [
    "/admin/",
    "/admin/prospect/?page=2&search=%E7%8E%8B",
    "/admin/prospect/edit/?id=3&url=/admin/prospect/",
    "/login",
    "/admin/prospect/#top",
]

#: Bad targets by kind: the docs/testing.md list counts them.
NASTY = [
    # line breaks and other controls, raw
    "/admin/\n",
    "/admin/\r\nSet-Cookie: x=1",
    "/admin/\r",
    "/\t/evil.example",
    "/admin/\x00",
    "/admin/\x7f",
    "/admin/\x0b",
    "/admin/\x0c",
    "/\u2028evil",
    "/\u2029",
    "/\u202eevil",
    "/\u200b/evil.example",
    "/admin/\ufeff",
    "/ /evil.example",
    # other schemes and hosts
    "https://evil.example/x",
    "http:/evil.example",
    "javascript:alert(1)",
    "data:text/html,x",
    "//evil.example",
    "///evil.example",
    "evil.example",
    "admin/",
    "\\\\evil.example",
    "/\\evil.example",
    "/admin\\..\\x",
    "\t//evil.example",
    # the same, percent-encoded (once and twice)
    "/%0A",
    "/admin/%0d%0aSet-Cookie:x",
    "/%09/evil.example",
    "/%2F%2Fevil.example",
    "/%2f/evil.example",
    "/%5Cevil.example",
    "/%252F%252Fevil.example",
    "/%250A",
    "/%00",
    "/%E2%80%A8",
    # empty, odd and too long
    "",
    None,
    "/" + "a" * MAX_TARGET_LENGTH,
]


@pytest.mark.parametrize("target", SAFE)
def test_a_local_path_is_followed(target):
    assert is_safe_local_path(target)


@pytest.mark.parametrize("target", NASTY)
def test_a_nasty_target_is_refused(target):
    assert not is_safe_local_path(target)


def test_random_targets_never_raise_and_never_leave_the_site():
    """A property-style sweep: random mixes of path pieces and nasty characters."""
    pieces = [
        "/",
        "//",
        "\\",
        "a",
        "王",
        ":",
        "?",
        "#",
        "%",
        "%0A",
        "%2F",
        "%5C",
        "\n",
        "\r",
        "\t",
        "\x00",
        "\u2028",
        "http",
        "evil.example",
        "@",
        ".",
        " ",
        "%25",
        "\x1b",
    ]
    rng = random.Random(26)  # fixed seed: the same sweep every run
    for _case in range(3000):
        target = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        if is_safe_local_path(target):
            assert target.startswith("/") and not target.startswith("//")
            assert not any(ch in target for ch in "\\\n\r\t\x00\u2028\x1b ")
            assert "://" not in target.split("?")[0]
