"""The customer picker finds welcome cards, owners and tenants by name or phone through each
kind's own view: only what that role may list, each lookup logged."""

from __future__ import annotations

import pytest
from flask_login import login_user
from sqlalchemy import select

from extensions import db
from models.admin.people import User
from models.privacy.audit import AccessEvent
from tests.factories import make_prospect, make_user
from tests.web.property.test_property_views import make_owner, make_tenant
from views.shared import customer_picker


@pytest.fixture
def people(app):
    with app.app_context():
        ids = {
            "prospect": make_prospect(db.session, name="王小明", mobile="13800138000").id,
            "owner": make_owner(db.session, name="王大明", mobile="13900139000").id,
            "tenant": make_tenant(db.session, name="李租", mobile="13700137000").id,
        }
        users = {role: make_user(db.session, role).id for role in ("clerk", "region_manager")}
        db.session.commit()
    return ids, users


def _as(app, user_id):
    context = app.test_request_context("/admin/")
    context.push()
    login_user(db.session.get(User, user_id))
    return context


def test_finds_every_kind_by_name_and_labels_with_a_masked_phone(app, people):
    ids, users = people
    context = _as(app, users["clerk"])
    try:
        found = customer_picker.LOADER.get_list("王")
        labels = [customer_picker.LOADER.format(item) for item in found]
    finally:
        context.pop()
    assert (f"prospect:{ids['prospect']}", "温馨卡 · 王小明 · 138****8000") in labels
    keys = {key for key, _label in labels}
    assert keys == {f"prospect:{ids['prospect']}", f"owner:{ids['owner']}"}
    assert all("13800138000" not in label for _key, label in labels)


def test_finds_by_the_full_phone_and_logs_the_lookup(app, people):
    ids, users = people
    context = _as(app, users["clerk"])
    try:
        found = customer_picker.LOADER.get_list("137 0013 7000")
    finally:
        context.pop()
    assert [item.key for item in found] == [f"tenant:{ids['tenant']}"]
    with app.app_context():
        event = db.session.scalars(
            select(AccessEvent).where(AccessEvent.record_type == "tenant")
        ).one()
    assert event.action == "search" and event.record_ids == str(ids["tenant"])
    assert event.term_hmac and "13700137000" not in (event.term_hmac or "")


def test_a_role_finds_only_the_kinds_its_lists_show(app, people):
    ids, users = people
    # A region manager lists no customer records (core/access.py): nothing is found,
    # not even by the exact key.
    context = _as(app, users["region_manager"])
    try:
        assert customer_picker.LOADER.get_list("王") == []
        assert customer_picker.LOADER.get_one(f"owner:{ids['owner']}") is None
    finally:
        context.pop()
    context = _as(app, users["clerk"])
    try:
        assert customer_picker.LOADER.get_one("dealer:1") is None
        assert customer_picker.LOADER.get_one("prospect:abc") is None
        picked = customer_picker.LOADER.get_one(f"owner:{ids['owner']}")
    finally:
        context.pop()
    assert picked is not None and picked.record.name == "王大明"


def test_an_empty_term_or_a_second_page_finds_nothing(app, people):
    _ids, users = people
    context = _as(app, users["clerk"])
    try:
        assert customer_picker.LOADER.get_list("  ") == []
        assert customer_picker.LOADER.get_list("王", offset=10) == []
    finally:
        context.pop()
