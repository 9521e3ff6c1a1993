"""Factories for records, each taking a session and keyword overrides."""

from __future__ import annotations

import itertools

from sqlalchemy import select

from core.clock import office_today
from extensions import db
from models.admin.reference import ReferenceItem, ReferenceList
from models.sales.prospects import Prospect, Visit
from services.admin.accounts import create_user
from services.admin.staff import record_starting_clearance

PASSWORD = "correct-horse-battery"
_counter = itertools.count(1)


def ref_item(session, list_code: str, code: str | None = None) -> ReferenceItem:
    """An item of a standard list (the first one unless ``code`` names it)."""
    query = select(ReferenceItem).join(ReferenceList).where(ReferenceList.code == list_code)
    if code:
        query = query.where(ReferenceItem.code == code)
    item = session.scalars(query.order_by(ReferenceItem.sort_order)).first()
    if item is None:
        ref_list = session.scalar(select(ReferenceList).where(ReferenceList.code == list_code))
        item = ReferenceItem(code=code or "demo", label=code or "演示", sort_order=10)
        ref_list.items.append(item)
        session.flush()
    return item


def make_user(session, role: str = "clerk", username: str | None = None, **kwargs):
    """An account; it has signed the current agreement and passed training today (the gate
    of services/admin/staff_clearance.py) unless ``cleared=False``."""
    username = username or f"{role}{next(_counter)}"
    cleared = kwargs.pop("cleared", True)
    user = create_user(
        session,
        username=username,
        full_name=kwargs.pop("full_name", f"测试{username}"),
        role_code=role,
        password=kwargs.pop("password", PASSWORD),
        **kwargs,
    )
    if cleared:
        record_starting_clearance(session, user, office_today())
    return user


def make_prospect(session, **kwargs) -> Prospect:
    n = next(_counter)
    values = {
        "name": f"王伟{n}",
        "mobile": f"138{n:08d}",
        "grade": "B",
        "progress": "follow_up",
        "source": ref_item(session, "source_channel", "walk_in"),
        "first_visit_on": office_today(),
    }
    values.update(kwargs)
    prospect = Prospect(**values)
    session.add(prospect)
    session.flush()
    return prospect


def make_visit(session, prospect: Prospect, **kwargs) -> Visit:
    values = {
        "prospect": prospect,
        "seq": len(prospect.visits) + 1,
        "visited_on": office_today(),
        "summary": "首次来访，了解户型。",
    }
    values.update(kwargs)
    visit = Visit(**values)
    session.add(visit)
    session.flush()
    return visit


def login_as(app, client, role: str, username: str | None = None, **kwargs) -> int:
    """Create an account with ``role`` and sign in through /login; returns the user's id."""
    with app.app_context():
        user = make_user(db.session, role, username=username, **kwargs)
        user_id, name = user.id, user.username
        db.session.commit()
    response = client.post("/login", data={"username": name, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    return user_id
