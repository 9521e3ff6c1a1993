"""Crafted list parameters on every model list: a clamped page or a clear answer, never a 500."""

from __future__ import annotations

import pytest

from core import access
from extensions import db
from tests.factories import make_prospect

CRAFTED = [
    {"page": "-1"},
    {"page": "99999999"},
    {"page": "abc"},
    {"page_size": "0"},
    {"page_size": "-5"},
    {"page_size": "100000000"},
    {"page_size": "x"},
    {"sort": "999"},
    {"sort": "-1"},
    {"sort": "name"},
    {"sort": "0", "desc": "banana"},
    {"flt0_999": "x"},
    {"flt99_0": "x"},
    {"flt0_0": "2026-13-45 to 2027-99-99"},
    {"flt1_1": "' OR 1=1 --"},
    {"flt0_0": "a\x00b"},
    {"search": "%" * 5000},
    {"search": "\x00\u202e<script>"},
    {"search": "王" * 10_000},
]


def _list_urls(app):
    urls = []
    for rule in app.url_map.iter_rules():
        view, _dot, function = rule.endpoint.partition(".")
        if function == "index_view" and view in access.RIGHTS:
            urls.append((view, rule.rule))
    return sorted(urls)


@pytest.mark.parametrize("role", ["supervisor", "admin", "region_manager", "custodian"])
def test_no_crafted_parameter_breaks_a_list(app, client, login_as, role):
    with app.app_context():
        make_prospect(db.session)
        db.session.commit()
    login_as(role)
    failures = []
    for view, url in _list_urls(app):
        if not access.can(role, view, access.LIST):
            continue
        for params in CRAFTED:
            response = client.get(url, query_string=params)
            if response.status_code >= 500:
                failures.append(f"{url} {params}: {response.status_code}")
    assert not failures, "\n".join(failures)
