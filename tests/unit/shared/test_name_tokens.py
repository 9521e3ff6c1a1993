"""The name-search index keeps fewer tokens (issue 22) and answers every search as before."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from models.shared.name_search import TOKEN_LENGTH
from services.shared import name_search
from services.shared.name_search import _HAN, MAX_RUN, _readings, _syllables, normalise


def all_tokens_before(name: str) -> frozenset[str]:
    """tokens_of as it was before issue 22 (every run, pinyin and initials), the reference."""
    text = normalise(name)[:TOKEN_LENGTH]
    if not text:
        return frozenset()
    length = len(text)
    tokens: set[str] = {
        text[start:end]
        for start in range(length)
        for end in range(start + 1, min(length, start + MAX_RUN) + 1)
    }
    if _HAN.search(text):
        syllables = _syllables(text)
        initials = [s[0] for s in syllables if s]
        readings = set(_readings(text[0]))
        readings.add(syllables[0])
        for reading in readings:
            tokens.add((reading + "".join(syllables[1:]))[:TOKEN_LENGTH])
            tokens.add((reading[0] + "".join(initials[1:]))[:TOKEN_LENGTH])
        for start in range(1, len(syllables)):
            tokens.add("".join(syllables[start:])[:TOKEN_LENGTH])
            tokens.add("".join(initials[start:])[:TOKEN_LENGTH])
    return frozenset(token for token in tokens if token)


def found(tokens: frozenset[str], term: str) -> bool | None:
    """Whether a record with ``tokens`` is found by ``term``, as search_condition asks the
    index (None: no search): a term beyond ASCII is one exact token, else a prefix range (in
    byte order on both databases: the same as str.startswith for an ASCII prefix)."""
    text = normalise(term)[:TOKEN_LENGTH]
    if not text:
        return None
    if name_search.exact_token(text) is not None:
        return text in tokens
    return any(token.startswith(text) for token in tokens)


def every_term(tokens: frozenset[str]) -> set[str]:
    """Every term that finds anything: each token and each of its prefixes (a term that is
    neither finds nothing with the old tokens, and the new ones are fewer)."""
    return {token[:end] for token in tokens for end in range(1, len(token) + 1)}


def assert_same_answers(name: str) -> None:
    before = all_tokens_before(name)
    after = name_search.tokens_of(name)
    assert after <= before
    for term in every_term(before) | {"", "zz9", "王", "x"}:
        assert found(after, term) == found(before, term), (name, term)


NAMES = [
    "王伟",
    "客户12345",
    "单田芳",
    "曾国藩",
    "Tom Lee",
    "ｗｗ王",
    "A座1203室张三",
    "12345678901234567890",
    "李Anna",
    "张 三 丰",
    "Café 王",
    "ß王",
    "王伟2",
    "欧阳娜娜",
    "x",
    "",
]


def test_fewer_tokens_same_answers_for_known_names():
    for name in NAMES:
        assert_same_answers(name)


def test_the_bench_name_keeps_a_third_fewer_rows():
    before, after = all_tokens_before("客户12345"), name_search.tokens_of("客户12345")
    assert "12345" in after and {"1", "12", "1234"} & after == set()
    assert {"客户1", "客户12345", "kehu12345", "kh1"} <= after
    assert len(after) < len(before) * 0.75


NAME_CHARACTERS = st.sampled_from(
    list("王伟单田芳曾国藩张三李四客户欧阳娜")
    + list("abcxyzABW")
    + list("0123456789")
    + [" ", "-", "ｗ", "１", "é", "ß", "ー"]
)


@settings(max_examples=300, deadline=None)
@given(st.text(NAME_CHARACTERS, min_size=0, max_size=16))
def test_fewer_tokens_same_answers_for_any_name(name):
    assert_same_answers(name)
