"""Nasty values in every create form and in request headers: a clear answer, never a 5xx.

Each model view's create page is read as a browser would (tests/html_forms.py) and posted back
by every role allowed to create there, its fields filled from tests/nasty_inputs.py. Sampled,
not the full product, so it stays quick: eight "all fields at once" posts per page (the values
rotated through the fields), and each field alone with one value on top of the page's defaults.
"""

from __future__ import annotations

import pytest

from core import access
from extensions import db
from tests.factories import login_as, make_prospect
from tests.html_forms import read_form
from tests.nasty_inputs import FORM_VALUES, HEADERS

pytestmark = pytest.mark.instant()

# Values a field gets alone (the rest as the page gave it): one of each kind.
ALONE = ["x" * 10_000, "a\x00b", "\u202e😀", "99999999999999999999999999999999", "-1", "2026-02-30"]

# Pages the headers are sent with, signed out and signed in.
HEADER_PAGES = ["/login", "/admin/", "/admin/prospect/", "/admin/prospect/new/"]


def _create_urls(app) -> list[tuple[str, str]]:
    urls = []
    for rule in app.url_map.iter_rules():
        view, _dot, function = rule.endpoint.partition(".")
        if function == "create_view" and view in access.RIGHTS:
            urls.append((view, rule.rule))
    return sorted(urls)


# Posts with every field nasty at once, per page; the values rotate through the fields and
# start at a different place on each page, so across the pages every field kind meets every value.
ALL_AT_ONCE = 8
STRIDE = 5


def _fill_all(fields: list[str], shift: int) -> dict[str, str]:
    return {
        name: FORM_VALUES[(shift + i) % len(FORM_VALUES)] for i, name in enumerate(fields)
    }


def _posts(form: dict[str, str], page_number: int):
    """The bodies posted to one create page."""
    fields = [name for name in form if name != "csrf_token"]
    for k in range(ALL_AT_ONCE):
        yield {**form, **_fill_all(fields, page_number + k * STRIDE)}
    for i, name in enumerate(fields):
        yield {**form, name: ALONE[(page_number + i) % len(ALONE)]}


@pytest.mark.parametrize("role", access.ROLES)
def test_no_nasty_form_value_gives_a_server_error(app, role):
    with app.app_context():
        make_prospect(db.session)
        db.session.commit()
    client = app.test_client()
    login_as(app, client, role)
    failures = []
    for page_number, (view, url) in enumerate(_create_urls(app)):
        if not access.can(role, view, access.CREATE):
            continue
        page = client.get(url)
        assert page.status_code == 200, (url, page.status_code)
        form = read_form(page.get_data(as_text=True))
        assert form, f"{url}: no form read"
        for body in _posts(form, page_number):
            changed = {k: v[:40] for k, v in body.items() if form.get(k) != v}
            try:
                response = client.post(url, data=body)
            except Exception as exc:  # noqa: BLE001 - propagated (TESTING): a 500 in production
                failures.append(f"{role} {url} {changed!r}: {type(exc).__name__}: {exc}")
                with app.app_context():
                    db.session.rollback()
                continue
            if response.status_code >= 500:
                failures.append(f"{role} {url} {changed!r}: {response.status_code}")
    assert not failures, f"{len(failures)} server errors:\n" + "\n".join(failures[:40])


@pytest.mark.parametrize("signed_in", [False, True], ids=["signed_out", "signed_in"])
def test_no_nasty_header_gives_a_server_error(app, signed_in):
    client = app.test_client()
    if signed_in:
        login_as(app, client, "supervisor")
    failures = []
    for headers in HEADERS:
        for path in HEADER_PAGES:
            try:
                response = client.get(path, headers=headers)
            except Exception as exc:  # noqa: BLE001 - propagated (TESTING): a 500 in production
                failures.append(f"{path} {headers!r:.80}: {type(exc).__name__}: {exc}")
                continue
            if response.status_code >= 500:
                failures.append(f"{path} {headers!r:.80}: {response.status_code}")
    assert not failures, "\n".join(failures)
