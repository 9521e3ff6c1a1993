"""Customers' requests: due in 15 working days, answered from the record (the retention
review's tests are in tests/web/privacy/test_retention.py and tests/unit/privacy/test_retention.py)."""

from __future__ import annotations

import io
from datetime import date, timedelta

import chinese_calendar
import pytest
from openpyxl import load_workbook
from sqlalchemy import Text, select, type_coerce

from extensions import db
from models.privacy.audit import AccessEvent
from models.privacy.privacy import SubjectRequest
from models.sales.prospects import Prospect
from models.shared.approvals import RecordHistory
from services.privacy import subject_requests
from tests.factories import make_prospect, make_user, make_visit

# Fixed dates below were written for this instant (tests/conftest.py WRITTEN_AT).
pytestmark = pytest.mark.instant()

MOBILE = "13577778888"


def _card(app, **kw) -> int:
    with app.app_context():
        prospect = make_prospect(db.session, name="上官婉", mobile=MOBILE, notes="想换大房", **kw)
        make_visit(db.session, prospect, summary="带孩子来看学区", concerns="价格")
        db.session.commit()
        return prospect.id


def _register(client, kind: str, subject_id: int, received: str = "2026-09-28") -> None:
    response = client.post(
        "/admin/subject_request/new/",
        data={
            "kind": kind,
            # the customer picked by search (views/shared/customer_picker.py): "kind:id"
            "customer": f"prospect:{subject_id}",
            "received_on": received,
            "note": "客户来电",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]


def _request(app) -> SubjectRequest:
    with app.app_context():
        item = db.session.scalars(select(SubjectRequest)).one()
        db.session.expunge(item)
        return item


def test_due_date_is_fifteen_working_days_on_the_chinese_calendar(app):
    received = date(2026, 9, 28)  # the Monday before the National Day holiday
    with app.app_context():
        due = subject_requests.due_date(db.session, received)
        db.session.rollback()
    days = [received + timedelta(days=n) for n in range(1, (due - received).days + 1)]
    assert sum(chinese_calendar.is_workday(day) for day in days) == 15
    assert chinese_calendar.is_workday(due)
    # The holiday pushes it past fifteen plain weekdays.
    assert due > date(2026, 10, 19)


def test_requests_are_listed_by_due_date_and_overdue_ones_stand_out(app, client, login_as):
    first, second = _card(app), _card(app)
    login_as("clerk")
    _register(client, "copy", second, received="2026-11-02")
    _register(client, "copy", first, received="2020-01-06")  # long overdue
    page = client.get("/admin/subject_request/").get_data(as_text=True)
    assert page.index("2020-01") < page.index("2026-11")
    assert "text-danger" in page and "上官婉" in page


def test_a_copy_is_given_only_through_a_post_and_is_logged(app, client, login_as):
    # What the copy says is tested in tests/web/privacy/test_customer_copy.py.
    prospect_id = _card(app)
    login_as("clerk")
    _register(client, "copy", prospect_id)
    item = _request(app)
    response = client.post(f"/admin/subject_request/copy/?id={item.id}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.get_data()))
    cells = {cell for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row}
    assert MOBILE in cells
    with app.app_context():
        assert (
            db.session.scalar(
                select(AccessEvent.record_id).where(AccessEvent.action == "subject_copy")
            )
            == prospect_id
        )
    # The download needs a POST with the form's token: a GET changes nothing and shows nothing.
    assert client.get(f"/admin/subject_request/copy/?id={item.id}").status_code == 405


def test_deletion_needs_a_second_person_then_anonymises_and_keeps_the_stats(app, client, login_as):
    prospect_id = _card(app, grade="A")
    with app.app_context():
        db.session.add(
            RecordHistory(
                record_type="prospect",
                record_id=prospect_id,
                event="updated",
                changes={"mobile": {"old": "13500000000", "new": MOBILE}},
            )
        )
        db.session.commit()
    login_as("supervisor", username="sup_a")
    _register(client, "delete", prospect_id)
    item = _request(app)
    client.post(f"/admin/subject_request/ask-anonymise/?id={item.id}")
    # The one who asked cannot approve.
    refused = client.post(
        f"/admin/subject_request/approve-anonymise/?id={item.id}", follow_redirects=True
    )
    assert "另一人批准" in refused.get_data(as_text=True)
    assert _request(app).status == "awaiting_approval"

    client.post("/logout")
    login_as("supervisor", username="sup_b")
    client.post(f"/admin/subject_request/approve-anonymise/?id={item.id}")
    assert _request(app).status == "answered"
    with app.app_context():
        prospect = db.session.get(Prospect, prospect_id)
        assert prospect.name == subject_requests.ANONYMISED
        assert (prospect.mobile, prospect.notes, prospect.mobile_bidx) == (None, None, None)
        assert prospect.grade == "A" and prospect.first_visit_on is not None  # stats kept
        assert prospect.visits[0].concerns is None
        stored = db.session.scalar(
            select(type_coerce(RecordHistory.changes, Text())).where(
                RecordHistory.record_id == prospect_id
            )
        )
        assert stored is None
        assert db.session.scalar(select(AccessEvent.id).where(AccessEvent.action == "anonymise"))


def test_an_answer_needs_a_note_and_roles_without_the_right_are_refused(app, client, login_as):
    prospect_id = _card(app)
    login_as("clerk")
    _register(client, "correct", prospect_id)
    item = _request(app)
    details = client.get(f"/admin/subject_request/details/?id={item.id}").get_data(as_text=True)
    assert 'id="correct-record"' in details
    client.post(f"/admin/subject_request/answer/?id={item.id}", data={"answer_note": " "})
    assert _request(app).status == "open"
    client.post(
        f"/admin/subject_request/answer/?id={item.id}", data={"answer_note": "已更正手机号"}
    )
    assert _request(app).status == "answered"
    client.post("/logout")
    login_as("custodian")
    assert client.get("/admin/subject_request/").status_code == 403
    assert client.get("/admin/retention/").status_code == 403


def test_clerks_cannot_approve(app):
    with app.app_context():
        clerk = make_user(db.session, "clerk")
        with pytest.raises(subject_requests.RequestError):
            subject_requests._check_approver(clerk, None)
