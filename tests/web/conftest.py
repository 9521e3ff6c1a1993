"""Fixtures several web tests share: settings changed for one test, and a clean sign-in
throttle."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from flask_babel import gettext as babel_gettext

from extensions import limiter


@pytest.fixture
def fresh_limits(app):
    """The test starts with no failed sign-in counted, and leaves none behind."""
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture
def config(app):
    """Set app.config keys for one test; the old values come back afterwards."""
    saved: dict = {}

    def _set(**values):
        for key, value in values.items():
            saved.setdefault(key, app.config.get(key))
            app.config[key] = value

    yield _set
    app.config.update(saved)


def as_chinese_reader_sees(app, msgid: str, **variables) -> str:
    """The message as a Chinese reader sees it (the default locale)."""
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        return babel_gettext(msgid, **variables)
