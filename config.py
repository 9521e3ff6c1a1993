"""Default configuration. instance/config.py and PANEL_* environment variables override it."""

from datetime import timedelta


class DefaultConfig:
    #: Production mode (PANEL_PRODUCTION=true): the panel refuses to start with a missing or
    #: default SECRET_KEY / AUDIT_HMAC_KEY, without its encryption keys, or (wsgi.py) with
    #: migrations not at head. Off for `make run` and `flask run` on one machine.
    PRODUCTION = False
    #: Server log: "json" (one object a line, for a log collector) or "text".
    LOG_FORMAT = "json"
    LOG_LEVEL = "INFO"
    #: Set in instance/config.py or PANEL_SECRET_KEY; generated into instance/ on first start.
    SECRET_KEY: str | None = None
    #: Key of the access log's hash chain; generated into instance/audit_key on first start.
    #: Keep it apart from backups of the database, or a thief could rebuild the chain.
    AUDIT_HMAC_KEY: str | None = None
    #: None means an SQLite file under instance/ (filled in by create_app).
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS = {"hide_parameters": True, "pool_pre_ping": True}
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    #: The office's time zone (IANA name; PANEL_OFFICE_TIMEZONE): "today", due dates, weekly
    #: counts and every time shown are in it; the database keeps UTC (core/clock.py). An
    #: unknown zone refuses to start. BABEL_DEFAULT_TIMEZONE follows it (create_app).
    OFFICE_TIMEZONE = "Asia/Shanghai"
    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = OFFICE_TIMEZONE
    #: Locales offered in the navbar switch, default first.
    LANGUAGES = ("zh_Hans_CN", "en")
    LANGUAGE_COOKIE = "panel_lang"

    WTF_CSRF_TIME_LIMIT = 8 * 3600
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    #: Send the session cookie over HTTPS only. Off for plain-http development; turn it on
    #: (PANEL_SESSION_COOKIE_SECURE=true) wherever the panel is served over HTTPS.
    SESSION_COOKIE_SECURE = False
    PERMANENT_SESSION_LIFETIME = timedelta(hours=10)
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"

    #: argon2 parameters of password hashes (services/accounts.HASH_PROFILES). Only a
    #: testing app may choose "CHEAPEST".
    PASSWORD_HASH_PROFILE = "RFC_9106_LOW_MEMORY"  # noqa: S105 (a profile name, not a secret)

    # --- sign-in and sessions (views/shared/security.py) ------------------------------------------
    #: A signed-in session ends after this many minutes without a request...
    SESSION_IDLE_MINUTES = 30
    #: ...and at the latest this many hours after sign-in, active or not.
    SESSION_ABSOLUTE_HOURS = 10
    #: A session is bound to the address it signed in from (the socket's, or a trusted proxy's
    #: X-Forwarded-For); a request from any other address ends it. Turn off only where one
    #: person's address changes while signed in (several outgoing lines taken in turn).
    SESSION_BIND_ADDRESS = True
    #: Failed sign-ins allowed per account name (whether the account exists or not) and per
    #: client address before the form answers 429 without checking the password. Flask-Limiter
    #: notation; only failures count, a successful sign-in uses nothing up.
    LOGIN_LIMIT_PER_ACCOUNT = "5 per 15 minutes"
    #: The address limit is much higher than the account's: a whole office may share one
    #: address (NAT), and one colleague's typos must not lock the others out; it only stops
    #: one address trying many names.
    LOGIN_LIMIT_PER_ADDRESS = "100 per 15 minutes"
    #: Where the failure counters live. memory:// is per process: fine for one process (the
    #: embedded SQLite office). With several workers or app servers set a shared store, e.g.
    #: PANEL_RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0, so the limits hold across them.
    RATELIMIT_STORAGE_URI = "memory://"
    #: A failure is forgotten 15 minutes after it happened, not at a clock boundary.
    RATELIMIT_STRATEGY = "moving-window"
    RATELIMIT_KEY_PREFIX = "panel"
    #: If the shared store stops answering, count in this process's memory meanwhile rather
    #: than refuse every sign-in.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    #: Number of reverse proxies in front of the panel whose X-Forwarded-For/-Proto are
    #: trusted. 0 = none: the client address is the socket's. Behind one load balancer set 1,
    #: or every client shares the load balancer's address (and its sign-in budget).
    TRUSTED_PROXIES = 0
    #: Addresses or networks the trusted proxy connects from (comma-separated in
    #: PANEL_TRUSTED_PROXY_ADDRESSES). Forwarded headers on a connection from anywhere else are
    #: ignored, whatever TRUSTED_PROXIES says. Default: this machine (nginx beside the panel).
    TRUSTED_PROXY_ADDRESSES = ("127.0.0.1", "::1")

    # --- security headers (views/shared/security.py) ---------------------------------------------
    #: Inline event handlers (onclick=...) are forbidden. Flask-Admin's templates still write
    #: a few (delete confirmation, batch actions, inline "Add", filter links);
    #: static/csp-handlers.js binds the same behaviour and removes them (views/shared/security.py).
    CSP_SCRIPT_SRC_ATTR = "'none'"
    #: Strict-Transport-Security max-age in seconds. None: one year on requests that came over
    #: HTTPS (as told by a trusted proxy's X-Forwarded-Proto), none over plain http; a number
    #: sends it on every response; 0 never.
    HSTS_SECONDS: int | None = None

    #: Flask-Admin: never show SQL with its parameters on the page.
    FLASK_ADMIN_RAISE_ON_VIEW_EXCEPTION = False
    FLASK_ADMIN_SWATCH = "default"

    #: Whether the sales supervisor receives customers too, and so may be named a card's or a
    #: reception's consultant (services/sales/consultants.py). Clerks always may; the custodian,
    #: the admin and region managers never.
    SUPERVISOR_RECEIVES_CUSTOMERS = False
    #: A paper file is due for its regular recheck this many days after its last one
    #: (services/archive/archive_recheck.py); twice a year unless the office sets otherwise.
    #: The admin's office setting (services/admin/office_settings.py) decides; this is only its
    #: default while no value is stored (the migration stores one).
    ARCHIVE_RECHECK_DAYS = 180
    #: A customer's complaint is answered within this many working days of its receipt
    #: (Chinese calendar; services/care/complaints.py). The policy says only "及时" (promptly):
    #: one working week, so a complaint gets its answer by the same weekday of the next week.
    #: Like ARCHIVE_RECHECK_DAYS, only the default of the admin's office setting.
    COMPLAINT_ANSWER_WORKDAYS = 5
    #: Prospects not contacted for this many days are listed for a call.
    STALE_CONTACT_DAYS = 30
    #: Version of the privacy notice customers are told, kept with each consent.
    PRIVACY_POLICY_VERSION = "2026-01"
    #: The purpose told to a customer whose data the office keeps.
    PRIVACY_PURPOSE = "购房咨询、跟进服务及物业管理（客户资料仅用于本案场及物业服务）"
    # Retention periods are the admin's setting in the database (retention_periods; the
    # defaults are in services/privacy/retention_periods.py KINDS), not configuration.
    #: Rows a single export may hold.
    EXPORT_MAX_ROWS = 100_000
    #: Largest Excel file the import page accepts, and where uploads wait between steps
    #: (default: instance/imports).
    IMPORT_MAX_BYTES = 20 * 1024 * 1024
    IMPORT_FOLDER: str | None = None
    #: The check and import run as background jobs (services/shared/import_jobs.py): at most
    #: this many at once in each app process (one per user), each stopped after this long.
    IMPORT_JOBS_MAX = 2
    IMPORT_JOB_MAX_SECONDS = 900
    #: Page sizes a user may choose in lists.
    PAGE_SIZES = (20, 50, 100)
