"""Password rules (services/admin/passwords.py) and their use by services/admin/accounts.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po
from flask_babel import force_locale

from app import create_app
from extensions import db
from services.admin import passwords
from services.admin.accounts import (
    AccountError,
    authenticate,
    check_password_rules,
    create_user,
    set_password,
)
from tests.factories import PASSWORD, make_user
from tests.keys import TEST_KEYS

ROOT = Path(__file__).resolve().parents[3]
with (ROOT / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po").open("rb") as _po:
    ZH = {message.id: message.string for message in read_po(_po) if message.id and message.string}


@pytest.mark.parametrize(
    "password",
    [
        "correct-horse-battery",
        "Xk9#mq2!vLp",
        "我的密码是一句很长的话",  # Chinese characters count one each
        "zhangwei-2026-spring",
    ],
)
def test_good_passwords_pass(password):
    assert passwords.password_problem(password, username="zhangwei") is None
    check_password_rules(password, username="zhangwei")


def test_length_bounds():
    assert passwords.password_problem("x7#kq2!vL") is not None  # 9
    assert passwords.password_problem("x7#kq2!vLp") is None  # 10
    assert passwords.password_problem("x7#kq2!vLp" * 13) is not None  # 130 > 128
    assert str(passwords.password_problem("short")) == "A password needs at least 10 characters."


@pytest.mark.parametrize(
    "password",
    [
        "1234567890",
        "woaini1314",
        "WoAiNi1314",
        "qwertyuiop",
        "1qaz2wsx3edc",
        "Password123",
        "5201314520",
        "  woaini1314  ",
    ],
)
def test_common_passwords_are_refused_whatever_the_case(password):
    problem = passwords.password_problem(password)
    assert problem is not None
    assert "common" in str(problem)


def test_common_list_is_a_few_hundred_including_chinese_favourites():
    common = passwords.common_passwords()
    assert 300 <= len(common) <= 2000
    for typical in ("123456", "5201314", "woaini1314", "qq123456", "1314520", "123456789"):
        assert typical in common
    # The file is plain text shipped with the code; comments are not entries.
    assert not any(entry.startswith("#") for entry in common)
    assert all(entry == entry.casefold() for entry in common)


def test_not_the_username_in_any_case():
    assert passwords.password_problem("ZhangWei2026", username="zhangwei2026") is not None
    assert passwords.password_problem("zhangwei2026", username=" ZhangWei2026 ") is not None
    assert str(passwords.password_problem("zhangwei2026", username="zhangwei2026")) == (
        "A password must not be the username."
    )
    assert passwords.password_problem("zhangwei2026") is None  # no username given


@pytest.mark.parametrize("password", ["aaaaaaaaaa", "0000000000000", "！！！！！！！！！！"])
def test_one_character_repeated_is_refused(password):
    assert str(passwords.password_problem(password)) == (
        "A password must not be one character repeated."
    )


def test_check_password_rules_raises_account_error_with_the_message():
    with pytest.raises(AccountError) as caught:
        check_password_rules("woaini1314")
    assert "common" in str(caught.value)


def test_messages_are_chinese_for_chinese_readers(app):
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        message = str(passwords.password_problem("short"))
    assert message == "密码至少需要 10 个字符。"


def test_create_user_applies_the_rules(app):
    with app.app_context():
        with pytest.raises(AccountError):
            create_user(
                db.session, username="li", full_name="李", role_code="clerk", password="5201314520"
            )
        with pytest.raises(AccountError):
            create_user(
                db.session,
                username="lixiaolong",
                full_name="李",
                role_code="clerk",
                password="LiXiaoLong",
            )
        user = create_user(
            db.session,
            username="lixiaolong",
            full_name="李小龙",
            role_code="clerk",
            password="a-long-and-rare-phrase",
        )
        assert user.id is not None
        db.session.rollback()


def test_set_password_applies_the_rules_with_the_username(app):
    with app.app_context():
        user = make_user(db.session, "clerk", username="wangfang2026")
        before = user.password_hash
        for bad in ("wangfang2026", "WANGFANG2026", "qq123456789", "zzzzzzzzzzzz", "short"):
            with pytest.raises(AccountError):
                set_password(user, bad)
        assert user.password_hash == before
        set_password(user, "another-rare-phrase")
        assert user.password_hash != before
        db.session.rollback()


def test_every_message_of_these_modules_has_a_chinese_translation():
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    files = ("services/admin/passwords.py", "services/admin/accounts.py", "views/shared/security.py")
    msgids = {
        message
        for name in files
        for _line, message, _comments, _context in extract_from_file(
            "python", str(ROOT / name), keywords=keywords
        )
    }
    assert len(msgids) >= 10
    assert msgids <= set(ZH), msgids - set(ZH)


def test_the_cheapest_hash_profile_is_refused_outside_tests():
    with pytest.raises(SystemExit, match="CHEAPEST"):
        create_app({"PASSWORD_HASH_PROFILE": "CHEAPEST", "SECRET_KEY": "x", **TEST_KEYS})


def test_a_hash_of_another_profile_is_upgraded_at_sign_in(app):
    with app.app_context():
        user = make_user(db.session, "clerk", username="rehash_me")
        cheap = user.password_hash
        app.config["PASSWORD_HASH_PROFILE"] = "RFC_9106_LOW_MEMORY"
        try:
            assert authenticate(db.session, "rehash_me", PASSWORD) is user
            assert user.password_hash != cheap
            assert "m=65536" in user.password_hash
        finally:
            app.config["PASSWORD_HASH_PROFILE"] = "CHEAPEST"
            db.session.rollback()
