"""Role × view × endpoint: every rule of the URL map, every role and anonymous.

A new endpoint that is missing from the expectations below fails this test, so no view
ships unguarded.
"""

from __future__ import annotations

import pytest

from core import access
from extensions import db
from tests.factories import make_prospect

# Fixed dates below were written for this instant (tests/conftest.py WRITTEN_AT).
pytestmark = pytest.mark.instant()

PUBLIC = {
    "auth.login",
    "auth.logout",
    "site.healthz",
    "site.readyz",
    "site.root",
    "site.set_language",
    "static",
    "admin.static",
}

# Model-view endpoint function -> (HTTP method, right needed, extra form data).
MODEL_ENDPOINTS = {
    "index_view": ("GET", access.LIST, None),
    "details_view": ("GET", access.DETAILS, None),
    # the details page's panels, read after the page (views/shared/mixins/links.py); a view
    # that does not defer them answers 404 to the roles allowed
    "details_panels_view": ("GET", access.DETAILS, None),
    "create_view": ("GET", access.CREATE, None),
    "edit_view": ("GET", access.EDIT, None),
    "delete_view": ("POST", access.DELETE, {}),
    "action_view": ("POST", access.DELETE, {"action": "delete"}),
    "export": ("GET", access.EXPORT, None),
    "ajax_update": ("POST", access.EDIT, {"list_form_pk": "999999"}),
    "ajax_lookup": ("GET", access.LIST, None),
    "request_delete_view": ("GET", access.EDIT, None),
    # full numbers are shown to roles that work the record (edit right), never on GET
    "reveal_view": ("POST", access.EDIT, {}),
    "withdraw_consent_view": ("POST", access.EDIT, {"consent_id": "1", "note": "x"}),
    # customers' requests (no request 1 exists: allowed roles get a 404)
    "copy_view": ("POST", access.DETAILS, {}),
    "print_copy_view": ("GET", access.DETAILS, None),
    "ask_anonymise_view": ("POST", access.CREATE, {}),
    "approve_anonymise_view": ("POST", access.CREATE, {}),
    "answer_view": ("POST", access.CREATE, {"answer_note": "x"}),
    # proposing a card as a competitor's scout (views/sales/scouts.py): part of working the card
    "propose_scout_view": ("POST", access.EDIT, {"reason": "x"}),
    # complaints' steps (views/care/complaints.py; no complaint 1 exists: allowed roles get a 404)
    "complaint_assign_view": ("POST", access.EDIT, {"handler_id": "1", "version": "1"}),
    "complaint_answer_view": ("POST", access.CREATE, {"answer": "x", "version": "1"}),
    "complaint_close_view": ("POST", access.EDIT, {"improvement": "x", "version": "1"}),
}


def _model_endpoints(app):
    found = []
    for rule in app.url_map.iter_rules():
        endpoint = rule.endpoint
        if endpoint in PUBLIC or endpoint in access.PAGES:
            continue
        view_key, _, function = endpoint.partition(".")
        assert view_key in access.RIGHTS, f"{endpoint} has no row in core/access.py"
        assert function in MODEL_ENDPOINTS, f"{endpoint} is not covered by the access matrix"
        found.append((view_key, function, rule))
    return found


def _url_for(rule, view_key, function):
    path = rule.rule
    if "<export_type>" in path:
        path = path.replace("<export_type>", "csv")
    query = {
        "details_view": "?id=1",
        "details_panels_view": "?id=1&partial=1",
        "edit_view": "?id=1",
        "request_delete_view": "?id=1",
        "reveal_view": "?id=1",
        "withdraw_consent_view": "?id=1",
        "ajax_lookup": "?name=x&query=a",
        "copy_view": "?id=1",
        "print_copy_view": "?id=1",
        "ask_anonymise_view": "?id=1",
        "approve_anonymise_view": "?id=1",
        "answer_view": "?id=1",
        "propose_scout_view": "?id=1",
        "complaint_assign_view": "?id=1",
        "complaint_answer_view": "?id=1",
        "complaint_close_view": "?id=1",
    }.get(function, "")
    return path + query


def test_every_rule_is_declared(app):
    endpoints = _model_endpoints(app)
    assert {key for key, _, _ in endpoints} >= {"prospect"}
    for endpoint in access.PAGES:
        assert endpoint in {r.endpoint for r in app.url_map.iter_rules()}


@pytest.mark.parametrize("role", [None, *access.ROLES])
def test_matrix(app, client, login_as, role):
    with app.app_context():
        make_prospect(db.session)  # a record with id 1 so details/edit can render
        db.session.commit()
    if role:
        login_as(role)
    failures = []
    for view_key, function, rule in _model_endpoints(app):
        method, needed, data = MODEL_ENDPOINTS[function]
        url = _url_for(rule, view_key, function)
        if data is not None and "id" not in data and function == "delete_view":
            data = {"id": "1"}
        if function == "action_view":
            data = {"action": "delete", "rowid": "1"}
        response = client.open(url, method=method, data=data)
        if role is None:
            ok = response.status_code == 302 and "/login" in response.headers["Location"]
            expected = "redirect to /login"
        elif access.can(role, view_key, needed) and (
            # the outside auditor reads lists and details only, whatever its letters
            role not in access.READ_ONLY_ROLES or function in access.READ_ONLY_FUNCTIONS
        ):
            ok = response.status_code not in (401, 403) and not (
                response.status_code == 302 and "/login" in response.headers.get("Location", "")
            )
            expected = "allowed"
        else:
            ok = response.status_code == 403
            expected = "403"
        if not ok:
            failures.append(f"{role} {method} {url}: {response.status_code}, expected {expected}")
        if function in ("delete_view", "action_view") and ok and expected == "allowed":
            # Put the record back for the rest of the walk.
            with app.app_context():
                make_prospect(db.session)
                db.session.commit()
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", access.ROLES)
def test_home_page_for_every_role(client, login_as, role):
    login_as(role)
    response = client.get("/admin/")
    assert response.status_code == 200


def test_menu_shows_only_what_the_role_can_open(client, login_as):
    login_as("custodian")
    page = client.get("/admin/").get_data(as_text=True)
    assert "/admin/prospect/" in page
    client.post("/logout")
    login_as("region_manager")
    page = client.get("/admin/").get_data(as_text=True)
    assert "/admin/prospect/" not in page


# Custom pages: endpoint -> (method, url, form data); a change request with id 1 exists.
PAGE_CALLS = {
    "admin.index": ("GET", "/admin/", None),
    "approvals.index": ("GET", "/admin/approvals/", None),
    "approvals.detail": ("GET", "/admin/approvals/1/", None),
    "approvals.approve": ("POST", "/admin/approvals/1/approve", {"comment": ""}),
    "approvals.reject": ("POST", "/admin/approvals/1/reject", {"comment": "no"}),
    "my_requests.index": ("GET", "/admin/my-requests/", None),
    # archive desk: no lookup request exists, so the POSTs end in a "no such request" message
    "archive_desk.index": ("GET", "/admin/archive-desk/", None),
    "archive_desk.find": ("GET", "/admin/archive-desk/find?code=NONE", None),
    "archive_desk.file": ("GET", "/admin/archive-desk/file/1/", None),
    "archive_desk.destroy": ("POST", "/admin/archive-desk/file/999/destroy", {"reason": ""}),
    "archive_desk.approve": ("POST", "/admin/archive-desk/1/approve", {}),
    "archive_desk.refuse": ("POST", "/admin/archive-desk/1/refuse", {"reason": "x"}),
    "archive_desk.hand_out": ("POST", "/admin/archive-desk/1/hand-out", {}),
    "archive_desk.take_back": ("POST", "/admin/archive-desk/1/take-back", {"condition": ""}),
    "archive_lookup.index": ("GET", "/admin/archive-lookup/", None),
    "archive_copies.index": ("GET", "/admin/archive-copies/", None),
    "archive_copies.approve": ("POST", "/admin/archive-copies/1/approve", {}),
    "archive_copies.refuse": ("POST", "/admin/archive-copies/1/refuse", {"reason": "x"}),
    "archive_register.index": ("GET", "/admin/archive-register/", None),
    "archive_recheck.index": ("GET", "/admin/archive-recheck/", None),
    "archive_recheck.rechecked": ("POST", "/admin/archive-recheck/999999/rechecked", {}),
    "archive_register.export": ("GET", "/admin/archive-register/export.xlsx", None),
    # the retention review: nothing is past retention, batch 1 does not exist
    "retention.index": ("GET", "/admin/retention/", None),
    "retention.request": ("POST", "/admin/retention/request/", {}),
    "retention.decide": ("POST", "/admin/retention/decide/1/", {"decision": "reject"}),
    "retention.periods": ("GET", "/admin/retention/periods/", None),
    # the office settings: an empty form is refused with the page shown again, nothing saved
    "office_settings.index": ("GET", "/admin/office-settings/", None),
    "office_settings.change": ("POST", "/admin/office-settings/archive_recheck_days/", {}),
    # incidents (views/admin/incidents.py): incident 1 does not exist (404 for who may open
    # it), empty forms are refused; the lockdown: a bad mode and an empty note change nothing
    "incidents.index": ("GET", "/admin/incidents/", None),
    "incidents.create": ("POST", "/admin/incidents/new/", {}),
    "incidents.detail": ("GET", "/admin/incidents/999/", None),
    "incidents.edit": ("POST", "/admin/incidents/999/edit/", {}),
    "incidents.issue": ("POST", "/admin/incidents/999/issue/", {}),
    "incidents.reported": ("POST", "/admin/incidents/999/reported/", {}),
    "incidents.close": ("POST", "/admin/incidents/999/close/", {}),
    "incidents.affected": ("POST", "/admin/incidents/999/affected/", {}),
    "incidents.sent": ("POST", "/admin/incidents/999/sent/1/", {}),
    "incidents.letter": ("GET", "/admin/incidents/999/letter/1/", None),
    "lockdown.index": ("GET", "/admin/lockdown/", None),
    "lockdown.lock": ("POST", "/admin/lockdown/lock/", {"mode": "none-such"}),
    "lockdown.lift": ("POST", "/admin/lockdown/lift/", {"note": ""}),
    # staff agreements and training: empty forms are refused with the page shown again
    "staff.index": ("GET", "/admin/staff/", None),
    "staff.account": ("GET", "/admin/staff/account/1/", None),
    "staff.agreement": ("POST", "/admin/staff/account/1/agreement", {}),
    "staff.training": ("POST", "/admin/staff/account/1/training", {}),
    "staff.scan": ("GET", "/admin/staff/agreement/999/scan", None),
    "staff.training_session": ("GET", "/admin/staff/session/", None),
    "staff.versions": ("GET", "/admin/staff/versions/", None),
    "staff.make_current": ("POST", "/admin/staff/versions/999/current", {}),
    "staff.courses": ("GET", "/admin/staff/courses/", None),
    "staff.course_active": ("POST", "/admin/staff/courses/999/active", {}),
    "clearance.index": ("GET", "/admin/clearance/", None),
    "transfer_desk.index": ("GET", "/admin/transfer-desk/", None),
    "transfer_desk.detail": ("GET", "/admin/transfer-desk/1/", None),
    "transfer_desk.tick": ("POST", "/admin/transfer-desk/1/items/1/tick", {"note": ""}),
    "transfer_desk.untick": ("POST", "/admin/transfer-desk/1/items/1/untick", {}),
    "transfer_desk.complete": ("POST", "/admin/transfer-desk/1/complete", {}),
    "transfer_desk.cancel": ("POST", "/admin/transfer-desk/1/cancel", {"reason": "x"}),
    "transfer_desk.open_transfer": ("GET", "/admin/transfer-desk/open/1/", None),
    "transfer_desk.end_lease": ("GET", "/admin/transfer-desk/lease/1/end", None),
    "transfer_desk.household": ("GET", "/admin/transfer-desk/household/1/", None),
    "transfer_desk.move_in": ("GET", "/admin/transfer-desk/move-in/1/", None),
    "transfer_desk.move_in_item": (
        "POST",
        "/admin/transfer-desk/move-in/1/items/form_done",
        {"value": "1"},
    ),
    "transfer_desk.move_in_finish": ("POST", "/admin/transfer-desk/move-in/1/finish", {}),
    "unit_timeline.index": ("GET", "/admin/unit-timeline/", None),
    "unit_timeline.unit": ("GET", "/admin/unit-timeline/1/", None),
    "collisions.index": ("GET", "/admin/sales/collisions/", None),
    "collisions.rule": (
        "POST",
        "/admin/sales/collisions/1/rule",
        {"c1-ruling": "keep", "c1-note": "n", "c1-version": "1"},
    ),
    "followups.index": ("GET", "/admin/sales/followups/", None),
    "followups.stale": ("GET", "/admin/sales/followups/not-contacted/", None),
    "day_cards.index": ("GET", "/admin/sales/day-cards/?consultant=1", None),
    "day_cards.report": (
        "POST",
        "/admin/sales/day-cards/report",
        {"consultant": "1", "day": "2026-03-14", "reported_count": "2"},
    ),
    "weekly_count.index": ("GET", "/admin/sales/weekly/", None),
    "weekly_count.snapshot": ("POST", "/admin/sales/weekly/snapshot", {"week": "2026-03-14"}),
    "customer_analysis.index": ("GET", "/admin/analysis/customers/", None),
    "customer_analysis.export": ("GET", "/admin/analysis/customers/export.xlsx", None),
    "dealer_deadlines.index": ("GET", "/admin/sales/dealer-deadlines/", None),
    "identity_checks.index": ("GET", "/admin/sales/identity/?prospect=1", None),
    "imports.index": ("GET", "/admin/import/", None),
    "imports.mapping": ("GET", "/admin/import/00000000000000000000000000000000/map", None),
    "imports.preview": ("GET", "/admin/import/00000000000000000000000000000000/preview", None),
    "imports.run": ("POST", "/admin/import/00000000000000000000000000000000/run", {}),
    "imports.check": ("POST", "/admin/import/00000000000000000000000000000000/check", {}),
    "imports.result": ("GET", "/admin/import/00000000000000000000000000000000/result", None),
    "imports.cancel": ("POST", "/admin/import/00000000000000000000000000000000/cancel", {}),
    "imports.rejected": (
        "GET",
        "/admin/import/00000000000000000000000000000000/rejected.xlsx",
        None,
    ),
    "imports.progress": ("GET", "/admin/import/00000000000000000000000000000000/progress", None),
    "identity_checks.record": (
        "POST",
        "/admin/sales/identity/record",
        {"prospect": "1", "method": "on_site"},
    ),
    # customer ownership (views/sales/pool.py)
    "customer_pool.index": ("GET", "/admin/sales/pool/", None),
    "customer_pool.claim": ("POST", "/admin/sales/pool/claim", {"prospect": "1"}),
    "office_customers.index": ("GET", "/admin/sales/office-customers/?q=wang", None),
    "handover.index": ("GET", "/admin/sales/handover/?owner=1", None),
    "handover.submit": (
        "POST",
        "/admin/sales/handover/submit",
        {"from_user": "1", "to_user": "2", "scope": "all", "note": "leaving"},
    ),
    # daily work: spot checks, access alerts, print views
    "spot_checks.index": ("GET", "/admin/spot-checks/", None),
    "spot_checks.draw": ("POST", "/admin/spot-checks/draw", {"size": "5", "unit": "cards"}),
    "spot_checks.week": ("GET", "/admin/spot-checks/999/", None),
    "spot_checks.check": ("POST", "/admin/spot-checks/999/items/999", {"result": "match"}),
    "access_alerts.index": ("GET", "/admin/access-alerts/", None),
    "access_alerts.ack": ("POST", "/admin/access-alerts/999/ack", {"note": "x"}),
    "access_alerts.rule": (
        "POST",
        "/admin/access-alerts/rules/records_per_hour",
        {"records_per_hour-threshold": "60", "records_per_hour-enabled": "y"},
    ),
    "print_view.index": ("GET", "/admin/print/", None),
    "print_view.card": ("GET", "/admin/print/card/1/", None),
    "print_view.register": ("GET", "/admin/print/register/", None),
    "print_view.transfer": ("GET", "/admin/print/transfer/999/", None),
    # sharing with a partner (views/privacy/partners.py): no agreement 999, no share batch
    "partner_sharing.index": ("GET", "/admin/partner-sharing/?kind=prospect&ids=1", None),
    "partner_sharing.share": (
        "POST",
        "/admin/partner-sharing/share",
        {"kind": "prospect", "ids": "1", "agreement_id": "999"},
    ),
    "partner_sharing.download": ("GET", "/admin/partner-sharing/download?batch=abc", None),
    "partner_sharing.consent": (
        "POST",
        "/admin/partner-sharing/consent",
        {"kind": "prospect", "id": "1", "partner_id": "999", "purpose": "x"},
    ),
    "partner_sharing.withdraw": (
        "POST",
        "/admin/partner-sharing/withdraw",
        {"consent_id": "999", "note": "x"},
    ),
    # the compliance review (views/privacy/compliance_review.py)
    "compliance_review.index": ("GET", "/admin/compliance-review/", None),
    "compliance_review.rows": (
        "GET",
        "/admin/compliance-review/rows/?section=outputs&key=action:export",
        None,
    ),
    "compliance_review.print": ("GET", "/admin/compliance-review/print/", None),
}


def test_every_page_is_in_the_matrix(app):
    assert set(PAGE_CALLS) == set(access.PAGES)


@pytest.mark.parametrize("role", [None, *access.ROLES])
def test_page_matrix(app, client, login_as, role):
    from models.shared.approvals import ChangeRequest
    from tests.factories import make_user

    with app.app_context():
        requester = make_user(db.session, "clerk")
        prospect = make_prospect(db.session)
        db.session.add(
            ChangeRequest(
                record_type="prospect",
                record_id=prospect.id,
                record_version=1,
                kind="update",
                changes={},
                reason="r",
                requested_by_id=requester.id,
            )
        )
        db.session.commit()
    if role:
        login_as(role)
    failures = []
    for endpoint, (method, url, data) in PAGE_CALLS.items():
        response = client.open(url, method=method, data=data)
        location = response.headers.get("Location", "")
        if role is None:
            ok = response.status_code == 302 and "/login" in location
        elif role in access.PAGES[endpoint]:
            ok = response.status_code not in (401, 403) and "/login" not in location
        else:
            ok = response.status_code == 403
        if not ok:
            failures.append(f"{role} {method} {url}: {response.status_code}")
    assert not failures, "\n".join(failures)
