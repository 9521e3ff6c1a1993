"""Addresses of endpoints that take no per-request arguments, built once per address root.

Every page's navbar links to the same few pages (approvals, collisions, files overdue, sign
out) and its stylesheet: ``url_for`` built each of them again on every page, at about the
cost of a statement each. An address depends only on the endpoint, its arguments, the URL
map (fixed once the app serves: Flask refuses new routes after the first request) and the
request's address root, host and scheme; all of them are the key. Apps with URL defaults
(none here) are asked through ``url_for`` every time, as are addresses with arguments that
change per request (the language switch's ``next``).
"""

from __future__ import annotations

from flask import current_app, request, url_for

#: Addresses kept per application (endpoints x roots x hosts); forgotten whole when full.
MAX_KEPT = 1024


def fixed_url(endpoint: str, **values) -> str:
    """``url_for(endpoint, **values)`` for values that are the same on every request."""
    app = current_app._get_current_object()
    if endpoint.startswith(".") or any(app.url_default_functions.values()):
        # a relative endpoint names the request's blueprint; URL defaults may read anything
        return url_for(endpoint, **values)
    # kept on the application, so another app (a test's) never sees this one's addresses
    kept = app.extensions.setdefault("fixed_urls", {})
    key = (
        endpoint,
        tuple(sorted(values.items())),
        request.script_root,
        request.host,
        request.scheme,
    )
    address = kept.get(key)
    if address is None:
        address = url_for(endpoint, **values)
        if len(kept) >= MAX_KEPT:
            kept.clear()
        kept[key] = address
    return address
