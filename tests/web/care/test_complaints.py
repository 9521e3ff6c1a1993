"""The complaints register through the pages: each role's rights, register -> answer ->
close, the list by due date with late ones in red, the steps refused with the text kept, and
the supervisor's and handler's home-page numbers with their links."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import Text, select, type_coerce

from extensions import db
from models.care.complaints import Complaint
from models.privacy.audit import AccessEvent
from tests.factories import make_prospect, make_user
from tests.web.home.test_home_pages import counts

# Fixed dates below were written for this instant (2026-11-25, a Wednesday, in Shanghai).
pytestmark = pytest.mark.instant()


def _card(app, name="投诉客户") -> int:
    with app.app_context():
        card_id = make_prospect(db.session, name=name).id
        db.session.commit()
        return card_id


def _handler(app, role="clerk", name="处理人甲") -> int:
    with app.app_context():
        user_id = make_user(db.session, role, full_name=name).id
        db.session.commit()
        return user_id


def _form(card_id: int, **kw) -> dict[str, str]:
    data = {
        "customer": f"prospect:{card_id}",
        "received_on": "2026-11-20",
        "channel": "phone",
        "category": "service",
        "summary": "前台无人接待，等了半小时",
        "handler": "__None",
    }
    data.update(kw)
    return data


def _register(client, card_id: int, **kw) -> int:
    response = client.post("/admin/complaint/new/", data=_form(card_id, **kw))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return _latest(client.application)


def _latest(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Complaint.id).order_by(Complaint.id.desc()))


def _complaint(app, complaint_id: int) -> Complaint:
    with app.app_context():
        item = db.session.get(Complaint, complaint_id)
        db.session.expunge(item)
        return item


def _step(client, app, name: str, complaint_id: int, **data):
    version = _complaint(app, complaint_id).version
    return client.post(
        f"/admin/complaint/{name}/?id={complaint_id}",
        data={"version": str(version), **data},
        follow_redirects=True,
    )


def test_a_clerk_registers_the_due_date_follows_and_the_customer_is_shown(app, client, login_as):
    card_id = _card(app)
    handler_id = _handler(app)
    login_as("clerk")
    form = client.get(f"/admin/complaint/new/?subject_type=prospect&subject_id={card_id}")
    page = form.get_data(as_text=True)
    # prefilled from the customer's page
    assert form.status_code == 200 and f'value="prospect:{card_id}"' in page
    complaint_id = _register(client, card_id, handler=str(handler_id))
    item = _complaint(app, complaint_id)
    assert (item.due_on, item.status, item.handler_id) == (date(2026, 11, 27), "open", handler_id)
    details = client.get(f"/admin/complaint/details/?id={complaint_id}").get_data(as_text=True)
    assert "投诉客户" in details and f"/admin/prospect/details/?id={card_id}" in details
    assert "电话" in details and "服务态度与质量" in details and "待答复" in details
    assert ">phone<" not in details and ">service<" not in details and ">open<" not in details
    # What the customer said is stored encrypted.
    with app.app_context():
        stored = db.session.scalar(
            select(type_coerce(Complaint.summary, Text())).where(Complaint.id == complaint_id)
        )
    assert "前台" not in stored


def test_a_complaint_needs_its_customer_and_keeps_what_was_typed(app, client, login_as):
    login_as("clerk")
    response = client.post("/admin/complaint/new/", data=_form(0, customer=""))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "前台无人接待，等了半小时" in page
    with app.app_context():
        assert db.session.scalar(select(Complaint.id)) is None


def test_register_answer_close(app, client, login_as):
    card_id = _card(app)
    clerk_id = login_as("clerk", full_name="李文员")
    complaint_id = _register(client, card_id, handler=str(clerk_id))
    # The clerk, as its handler, answers; closing is the supervisor's.
    page = client.get(f"/admin/complaint/details/?id={complaint_id}").get_data(as_text=True)
    assert 'id="answer-form"' in page and 'id="close-form"' not in page
    done = _step(client, app, "answer", complaint_id, answer="已致电道歉，安排专人接待")
    assert "答复已登记" in done.get_data(as_text=True)
    assert _step(client, app, "close", complaint_id, improvement="x").status_code == 403

    client.post("/logout")
    login_as("supervisor")
    closed = _step(client, app, "close", complaint_id, improvement="前台增设排号机")
    assert "投诉已结案" in closed.get_data(as_text=True)
    item = _complaint(app, complaint_id)
    assert item.status == "closed" and item.improvement == "前台增设排号机"
    assert item.answered_by_id == clerk_id
    page = client.get(f"/admin/complaint/details/?id={complaint_id}").get_data(as_text=True)
    assert "前台增设排号机" in page and "已改进结案" in page
    with app.app_context():
        actions = db.session.scalars(
            select(AccessEvent.action).where(
                AccessEvent.record_type == "prospect", AccessEvent.record_id == card_id
            )
        ).all()
        looks = db.session.scalars(
            select(AccessEvent.action).where(
                AccessEvent.record_type == "complaint", AccessEvent.record_id == complaint_id
            )
        ).all()
    assert {"complaint_registered", "complaint_answered", "complaint_closed"} <= set(actions)
    assert "details" in looks and "create" in looks


def test_refused_steps_say_why_and_keep_the_text(app, client, login_as):
    card_id = _card(app)
    handler_id = _handler(app, name="别人")
    login_as("clerk")
    complaint_id = _register(client, card_id, handler=str(handler_id))
    # Not its handler: refused, and the page offers no answer form.
    refused = _step(client, app, "answer", complaint_id, answer="我来答复一下")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert "只有该投诉的处理人或现场主管可以答复" in page and 'id="answer-form"' not in page
    assert _complaint(app, complaint_id).status == "open"

    client.post("/logout")
    login_as("supervisor")
    early = _step(client, app, "close", complaint_id, improvement="先写改进")
    assert "请先答复客户，再结案" in early.get_data(as_text=True)
    empty = _step(client, app, "answer", complaint_id, answer="   ")
    assert "请填写答复客户的内容" in empty.get_data(as_text=True)
    # A page shown before someone else's step: refused, nothing overwritten, and the
    # answer typed is still in the form for one more click.
    stale = client.post(
        f"/admin/complaint/answer/?id={complaint_id}",
        data={"version": "0", "answer": "旧页面上写的答复"},
    )
    page = stale.get_data(as_text=True)
    assert "请重新查看" in page
    assert re.search(r'<textarea[^>]*name="answer"[^>]*>旧页面上写的答复</textarea>', page)
    assert _complaint(app, complaint_id).answer is None


def test_a_supervisor_assigns_the_handler(app, client, login_as):
    card_id = _card(app)
    handler_id = _handler(app, name="新处理人")
    custodian_id = _handler(app, role="custodian", name="档案员")
    login_as("supervisor")
    complaint_id = _register(client, card_id)
    page = client.get(f"/admin/complaint/details/?id={complaint_id}").get_data(as_text=True)
    assert "新处理人" in page and "档案员" not in page
    refused = _step(client, app, "assign", complaint_id, handler_id=str(custodian_id))
    assert "在职" in refused.get_data(as_text=True)
    _step(client, app, "assign", complaint_id, handler_id=str(handler_id))
    assert _complaint(app, complaint_id).handler_id == handler_id


def test_a_supervisors_correction_moves_the_due_date_with_the_day_received(app, client, login_as):
    card_id = _card(app)
    login_as("supervisor")
    complaint_id = _register(client, card_id)
    assert _complaint(app, complaint_id).due_on == date(2026, 11, 27)
    form = _form(card_id, received_on="2026-09-29", category="privacy")
    response = client.post(f"/admin/complaint/edit/?id={complaint_id}", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    item = _complaint(app, complaint_id)
    assert (item.due_on, item.category) == (date(2026, 10, 12), "privacy")


def test_the_list_is_by_due_date_with_late_ones_in_red_and_filters(app, client, login_as):
    card_id = _card(app)
    login_as("clerk")
    later = _register(client, card_id, received_on="2026-11-24", category="property")
    late = _register(client, card_id, received_on="2026-11-02")
    page = client.get("/admin/complaint/").get_data(as_text=True)
    assert page.index("2026-11-09") < page.index("2026-12-01")  # by due date
    assert "complaint-overdue" in page and "已逾期" in page
    overdue = client.get("/admin/complaint/?flt0_4=1").get_data(as_text=True)
    assert f"/details/?id={late}" in overdue and f"/details/?id={later}" not in overdue
    by_category = client.get("/admin/complaint/?flt0_1=property").get_data(as_text=True)
    assert f"/details/?id={later}" in by_category and f"/details/?id={late}" not in by_category


@pytest.mark.parametrize(
    ("role", "lists", "creates", "edits"),
    [
        ("clerk", True, True, False),
        ("supervisor", True, True, True),
        ("admin", True, False, False),
        ("custodian", False, False, False),
        ("region_manager", False, False, False),
    ],
)
def test_each_roles_rights(app, client, login_as, role, lists, creates, edits):
    card_id = _card(app)
    with app.app_context():
        supervisor = make_user(db.session, "supervisor")
        complaint = Complaint(
            subject_type="prospect",
            subject_id=card_id,
            received_on=date(2026, 11, 20),
            channel="letter",
            category="sales",
            summary="优惠没兑现",
            due_on=date(2026, 11, 27),
            registered_by_id=supervisor.id,
        )
        db.session.add(complaint)
        db.session.commit()
        complaint_id = complaint.id
    login_as(role)
    expected = {True: 200, False: 403}
    assert client.get("/admin/complaint/").status_code == expected[lists]
    assert client.get(f"/admin/complaint/details/?id={complaint_id}").status_code == expected[lists]
    assert client.get("/admin/complaint/new/").status_code == expected[creates]
    assert client.get(f"/admin/complaint/edit/?id={complaint_id}").status_code == expected[edits]
    close = client.post(
        f"/admin/complaint/close/?id={complaint_id}", data={"version": "1", "improvement": "x"}
    )
    assert (close.status_code == 403) is not edits  # the supervisor: refused as too early
    answer = client.post(
        f"/admin/complaint/answer/?id={complaint_id}", data={"version": "1", "answer": "x"}
    )
    assert (answer.status_code == 403) is not creates
    # Nothing was answered by anyone who may not (the supervisor may: it is now answered).
    assert (_complaint(app, complaint_id).status == "answered") is (role == "supervisor")


def test_home_pages_count_open_and_overdue_complaints_and_link_to_them(app, client, login_as):
    card_id = _card(app)
    with app.app_context():
        clerk = make_user(db.session, "clerk", username="handler_clerk")
        db.session.commit()
        clerk_id = clerk.id
    login_as("supervisor")
    _register(client, card_id, received_on="2026-11-02", handler=str(clerk_id))  # late
    _register(client, card_id, received_on="2026-11-24", handler=str(clerk_id))
    _register(client, card_id, received_on="2026-11-03")  # late, no handler
    answered = _register(client, card_id, received_on="2026-11-02")
    _step(client, app, "answer", answered, answer="已答复")

    home = client.get("/admin/").get_data(as_text=True)
    numbers = counts(home)
    assert (numbers["complaints-open"], numbers["complaints-overdue"]) == (3, 2)
    links = dict(re.findall(r'id="stat-(complaints-[a-z]+)" href="([^"]+)"', home))
    for key, expected in (("complaints-open", 3), ("complaints-overdue", 2)):
        listed = client.get(links[key].replace("&amp;", "&")).get_data(as_text=True)
        assert len(set(re.findall(r"/admin/complaint/details/\?id=(\d+)", listed))) == expected

    client.post("/logout")
    client.post("/login", data={"username": "handler_clerk", "password": "correct-horse-battery"})
    home = client.get("/admin/").get_data(as_text=True)
    assert counts(home)["my-complaints"] == 2
    link = re.search(r'id="stat-my-complaints" href="([^"]+)"', home).group(1)
    listed = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert len(set(re.findall(r"/admin/complaint/details/\?id=(\d+)", listed))) == 2


def test_steps_need_the_forms_token(app, client, login_as):
    card_id = _card(app)
    login_as("supervisor")
    complaint_id = _register(client, card_id)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(
            f"/admin/complaint/answer/?id={complaint_id}", data={"version": "1", "answer": "x"}
        )
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert _complaint(app, complaint_id).status == "open"
