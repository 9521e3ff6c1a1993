"""Default configuration. instance/config.py and PANEL_* environment variables override it."""

from datetime import timedelta


class DefaultConfig:
    #: Set in instance/config.py or PANEL_SECRET_KEY; generated into instance/ on first start.
    SECRET_KEY: str | None = None
    #: None means an SQLite file under instance/ (filled in by create_app).
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS = {"hide_parameters": True, "pool_pre_ping": True}
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    #: Locales offered in the navbar switch, default first.
    LANGUAGES = ("zh_Hans_CN", "en")
    LANGUAGE_COOKIE = "panel_lang"

    WTF_CSRF_TIME_LIMIT = 8 * 3600
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=10)
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)

    #: Flask-Admin: never show SQL with its parameters on the page.
    FLASK_ADMIN_RAISE_ON_VIEW_EXCEPTION = False
    FLASK_ADMIN_SWATCH = "default"

    #: Rows a single export may hold.
    EXPORT_MAX_ROWS = 100_000
    #: Page sizes a user may choose in lists.
    PAGE_SIZES = (20, 50, 100)
