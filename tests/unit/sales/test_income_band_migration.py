"""The policy's income bands (migration l7e1c0de26c3): cards on an old band that lies inside
3万以下 move to it; "over 30,000 yuan" keeps its (retired) band; the old bands leave the selects.
Runs on a scratch database (SQLite, or PostgreSQL next to TEST_DATABASE_URL's)."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from app import create_app
from extensions import db
from tests.keys import TEST_KEYS
from tests.unit.shared.test_migrations import scratch_url  # noqa: F401 - the fixture

AT = "2026-11-20 02:00:00"
BAND = (
    "SELECT i.id FROM reference_items i JOIN reference_lists l ON l.id = i.list_id"
    " WHERE l.code = 'income_band' AND i.code = :code"
)


def _band_codes(conn) -> dict[int, str | None]:
    rows = conn.execute(
        text(
            "SELECT p.id, i.code FROM prospects p"
            " LEFT JOIN reference_items i ON i.id = p.income_band_id"
        )
    ).all()
    return dict(rows)


def _active(conn) -> set[str]:
    return set(
        conn.execute(
            text(
                "SELECT i.code FROM reference_items i JOIN reference_lists l ON l.id = i.list_id"
                " WHERE l.code = 'income_band' AND i.active"
            )
        ).scalars()
    )


def test_cards_move_to_the_policys_bands_and_nothing_is_guessed(scratch_url):  # noqa: F811
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": scratch_url, "SECRET_KEY": "migrations", **TEST_KEYS}
    )
    with app.app_context():
        upgrade(revision="k7e1c0de25b2")
        with db.engine.begin() as conn:
            for pid, code in ((1, "lt5000"), (2, "20000_30000"), (3, "gt30000"), (4, None)):
                band = conn.execute(text(BAND), {"code": code}).scalar() if code else None
                conn.execute(
                    text(
                        "INSERT INTO prospects (id, name, progress, is_scout, income_band_id,"
                        " created_at, updated_at, version) VALUES"
                        " (:id, '客户', 'follow_up', false, :band, :at, :at, 1)"
                    ),
                    {"id": pid, "band": band, "at": AT},
                )
        upgrade()
        with db.engine.connect() as conn:
            assert _band_codes(conn) == {1: "lt3w", 2: "lt3w", 3: "gt30000", 4: None}
            assert _active(conn) == {"lt3w", "3w_5w", "5w_10w", "10w_20w", "gt20w"}

        downgrade(revision="k7e1c0de25b2")
        with db.engine.connect() as conn:
            assert _active(conn) == {
                "lt5000",
                "5000_10000",
                "10000_20000",
                "20000_30000",
                "gt30000",
            }
            assert _band_codes(conn)[1] == "lt3w"  # cards keep the item they name
        db.session.remove()
