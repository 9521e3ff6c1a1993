"""List filters never reach into account columns; the consultant filter works by id."""

from __future__ import annotations

import pytest

from extensions import db
from tests.factories import make_prospect, make_user, ref_item


def test_no_list_filter_reads_an_account_column(app):
    with app.test_request_context():
        for view in app.extensions["admin"][0]._views:
            for flt in getattr(view, "_filters", None) or []:
                column = getattr(flt, "column", None)
                if hasattr(column, "property"):  # a mapped attribute: look at its column
                    column = column.property.columns[0]
                table = getattr(getattr(column, "table", None), "name", None)
                # The consultant filter compares prospects.consultant_id; nothing reads users.*
                assert table != "users" or view.endpoint == "user", (view.endpoint, str(column))


def _card_filter_index(app, column: str) -> int:
    """The position of the card list's filter on ``column``, as its URL argument names it."""
    view = next(
        v for v in app.extensions["admin"][0]._views if getattr(v, "access_key", "") == "prospect"
    )
    with app.test_request_context():
        return next(
            i
            for i, flt in enumerate(view._filters)
            if str(getattr(flt, "column", "")) == f"Prospect.{column}"
        )


def test_the_consultant_filter_lists_one_consultants_cards(app, client, login_as):
    with app.app_context():
        mine = make_user(db.session, "clerk", full_name="顾问甲")
        other = make_user(db.session, "clerk", full_name="顾问乙")
        make_prospect(db.session, name="甲的客户", consultant_id=mine.id)
        make_prospect(db.session, name="乙的客户", consultant_id=other.id)
        db.session.commit()
        mine_id = mine.id
    login_as("supervisor")
    index = _card_filter_index(app, "consultant_id")
    page = client.get(f"/admin/prospect/?flt0_{index}={mine_id}").get_data(as_text=True)
    assert "甲的客户" in page and "乙的客户" not in page


@pytest.mark.parametrize(
    ("column", "list_code", "wanted", "other"),
    [
        ("customer_type_id", "customer_type", "company", "individual"),
        ("need_id", "need", "upgrade", "first_home"),
        ("district_id", "district", "suburb", "downtown"),
        ("income_band_id", "income_band", "5w_10w", "lt3w"),
    ],
)
def test_cards_are_classified_as_the_policy_asks(
    app, client, login_as, column, list_code, wanted, other
):
    """按客户类型分类 … 按购房需求分类 … 按购房区域分类: each is a filter of the card list."""
    with app.app_context():
        wanted_id = ref_item(db.session, list_code, wanted).id
        make_prospect(db.session, name="要找的客户", **{column: wanted_id})
        make_prospect(
            db.session, name="别的客户", **{column: ref_item(db.session, list_code, other).id}
        )
        db.session.commit()
    login_as("supervisor")
    index = _card_filter_index(app, column)
    page = client.get(f"/admin/prospect/?flt0_{index}={wanted_id}").get_data(as_text=True)
    assert "要找的客户" in page and "别的客户" not in page
