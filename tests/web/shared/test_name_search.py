"""Names are found by any part, by pinyin or initials, through the token index."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from extensions import db
from models.sales.prospects import Prospect
from models.shared.name_search import NameToken
from services.shared import name_search
from tests.factories import make_prospect
from tests.web.property.test_property_views import make_tenant, make_unit


def test_tokens_cover_parts_pinyin_initials_and_surname_readings():
    tokens = name_search.tokens_of("王伟")
    # "w" is no token of its own (issue 22): a latin term is a prefix range, "wei" finds it
    assert {"王", "伟", "王伟", "wangwei", "wei", "ww"} <= tokens
    assert {"shantianfang", "stf"} <= name_search.tokens_of("单田芳")  # 单 as a surname
    assert "zengguofan" in name_search.tokens_of("曾国藩")
    assert {"tomlee", "lee"} <= name_search.tokens_of("Tom Lee")
    assert name_search.tokens_of("  ") == frozenset()


@pytest.mark.parametrize("term", ["王伟", "伟", "wangwei", "wangw", "ww", "WW", "wei", "ｗｗ"])
def test_list_search_finds_by_part_pinyin_or_initials(app, client, login_as, term):
    with app.app_context():
        make_prospect(db.session, name="王伟")
        make_prospect(db.session, name="李娜")
        db.session.commit()
    login_as("supervisor")
    body = client.get("/admin/prospect/", query_string={"search": term}).get_data(as_text=True)
    assert "王伟" in body and "李娜" not in body, term


def test_tokens_follow_renames_and_deletions(app):
    with app.app_context():
        prospect = make_prospect(db.session, name="张三")
        db.session.commit()
        condition = name_search.search_condition(Prospect, "zs")
        assert db.session.scalar(select(Prospect.id).where(condition)) == prospect.id

        prospect.name = "李四"
        db.session.commit()
        assert (
            db.session.scalar(
                select(Prospect.id).where(name_search.search_condition(Prospect, "zs"))
            )
            is None
        )
        assert (
            db.session.scalar(
                select(Prospect.id).where(name_search.search_condition(Prospect, "ls"))
            )
            == prospect.id
        )

        db.session.delete(prospect)
        db.session.commit()
        left = db.session.scalar(
            select(func.count()).select_from(NameToken).where(NameToken.record_id == prospect.id)
        )
        assert left == 0


def test_related_names_search_by_pinyin_too(app, client, login_as):
    with app.app_context():
        from core.clock import office_today
        from models.property.property import Lease

        tenant = make_tenant(db.session, name="欧阳锋")
        db.session.add(Lease(unit=make_unit(db.session), tenant=tenant, starts_on=office_today()))
        db.session.commit()
    login_as("supervisor")
    body = client.get("/admin/lease/", query_string={"search": "oyf"}).get_data(as_text=True)
    assert "欧阳锋" in body


def test_rebuild_recomputes_a_kind(app):
    with app.app_context():
        make_prospect(db.session, name="赵六")
        db.session.commit()
        db.session.execute(NameToken.__table__.delete())
        assert name_search.rebuild(db.session, Prospect) > 0
        db.session.commit()
        assert (
            db.session.scalar(
                select(Prospect.name).where(name_search.search_condition(Prospect, "zl"))
            )
            == "赵六"
        )
