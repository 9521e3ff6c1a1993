"""Serving behind proxies and TLS: forwarded headers, Secure cookies, one JSON line a request.

``init_serving(app)``:
- the X-Forwarded-For/-Proto/-Host of TRUSTED_PROXIES reverse proxies are believed
  (werkzeug's ProxyFix; the count is read per request, so it follows the configuration),
  and only on a connection from one of TRUSTED_PROXY_ADDRESSES;
- a request that reached the proxy over HTTPS gets a Secure session cookie (and HSTS, in
  views/shared/security.py), whatever SESSION_COOKIE_SECURE says;
- every request leaves one ``panel.request`` log line: request id, account id, endpoint,
  method, status and duration. Never the path's query string, a form or a name: searches
  carry phone and ID numbers (tests/web/shared/test_serving.py greps for them).
"""

from __future__ import annotations

import logging
import time
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from flask import Flask, g, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer
from werkzeug.middleware.proxy_fix import ProxyFix

request_log = logging.getLogger("panel.request")


def proxy_networks(setting) -> tuple[IPv4Network | IPv6Network, ...]:
    """TRUSTED_PROXY_ADDRESSES as networks: a list, or one string of addresses or networks
    separated by commas or spaces (as PANEL_TRUSTED_PROXY_ADDRESSES gives it)."""
    if isinstance(setting, str):
        setting = setting.replace(",", " ").split()
    return tuple(ip_network(str(item).strip(), strict=False) for item in setting or ())


def _from_trusted_proxy(environ, networks) -> bool:
    try:
        peer = ip_address(environ.get("REMOTE_ADDR") or "")
    except ValueError:
        return False
    return any(peer in network for network in networks)


class _ConfiguredProxyFix:
    """ProxyFix with the number of trusted proxies taken from the app's config at each call,
    applied only to a request whose connection comes from TRUSTED_PROXY_ADDRESSES: anyone
    else reaching the server directly could write X-Forwarded-For and choose the address the
    session is bound to and sign-in failures are counted under."""

    def __init__(self, app: Flask, wsgi_app) -> None:
        self._app = app
        self._wsgi_app = wsgi_app
        self._fixes: dict[int, ProxyFix] = {}
        self._networks: dict[object, tuple[IPv4Network | IPv6Network, ...]] = {}

    def _trusted_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        # Parsed once per value of the setting, not on every request; a changed setting is
        # parsed (and kept) anew.
        setting = self._app.config.get("TRUSTED_PROXY_ADDRESSES")
        key = setting if isinstance(setting, str) or setting is None else tuple(map(str, setting))
        networks = self._networks.get(key)
        if networks is None:
            networks = self._networks[key] = proxy_networks(setting)
        return networks

    def __call__(self, environ, start_response):
        proxies = int(self._app.config.get("TRUSTED_PROXIES") or 0)
        if not proxies or not _from_trusted_proxy(environ, self._trusted_networks()):
            return self._wsgi_app(environ, start_response)
        fix = self._fixes.get(proxies)
        if fix is None:
            fix = self._fixes[proxies] = ProxyFix(
                self._wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
            )
        return fix(environ, start_response)


class _SecureOverTLS(SecureCookieSessionInterface):
    """The session cookie is Secure when configured so, and always on an HTTPS request.

    The cookie's signing serializer is made of the keys and settings alone and keeps nothing
    of a request: it is made once per set of keys (SECRET_KEY and SECRET_KEY_FALLBACKS as they
    are at the call, so a changed key is used at once), not twice a request."""

    _kept: tuple[tuple, URLSafeTimedSerializer] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)
        kept = self._kept
        if kept is not None and kept[0] == keys:
            return kept[1]
        serializer = super().get_signing_serializer(app)
        self._kept = (keys, serializer)
        return serializer

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(super().get_cookie_secure(app)) or (has_request_context() and request.is_secure)


def init_serving(app: Flask) -> None:
    app.wsgi_app = _ConfiguredProxyFix(app, app.wsgi_app)  # type: ignore[method-assign]
    app.session_interface = _SecureOverTLS()
    app.before_request(_start_clock)
    app.after_request(_log_request)


def _start_clock() -> None:
    g.request_started = time.perf_counter()


def _account_id() -> int | None:
    # Only an account already loaded by this request: loading one here could query a
    # database that has just failed (the 503 page is being logged).
    user = g.get("_login_user")
    return getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None


def _log_request(response):
    started = g.get("request_started")
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
    request_log.info(
        "request",
        extra={
            "request_id": g.get("request_id"),
            "account_id": _account_id(),
            "endpoint": request.endpoint,
            "method": request.method,
            "status": response.status_code,
            "duration_ms": duration_ms,
        },
    )
    return response
