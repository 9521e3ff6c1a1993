"""The imports find a chunk's units by their key (project, building, room) through the key's
index: SQLite, which plans without statistics, read every unit of the office (or of the
project) for each chunk before (services/shared/unit_keys.py, services/admin/offices.py
``office_filter``)."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from extensions import db
from models.property.property import Unit
from services.property.import_property import units_in_offices
from tests.factories import make_user, ref_item

pytestmark = pytest.mark.instant()


@pytest.fixture
def s(app):
    with app.app_context():
        yield db.session
        db.session.rollback()


def _plans(s, call) -> list[str]:
    """What SQLite plans for each statement on ``units`` that ``call`` sends."""
    sent = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if "FROM units" in statement:
            sent.append((statement, parameters))

    engine = s.get_bind()
    event.listen(engine, "before_cursor_execute", keep)
    try:
        result = call()
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    plans = []
    if s.get_bind().dialect.name != "sqlite":
        return result, plans  # PostgreSQL plans by its statistics
    for statement, parameters in sent:
        rows = s.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        plans.append(" / ".join(row[3] for row in rows))
    return result, plans


def test_a_chunks_units_are_found_by_their_key_among_the_offices(s):
    user = make_user(s, "clerk")
    project = ref_item(s, "project", "lakeside")
    s.add_all(
        Unit(project_id=project.id, building=f"{b}栋", room=f"{r}")
        for b in range(1, 4)
        for r in range(101, 111)
    )
    s.commit()
    keys = {(project.id, "1栋", "101"), (project.id, "2栋", "105"), (project.id, "3栋", "999")}
    found, plans = _plans(s, lambda: units_in_offices(s, user, keys))
    assert set(found) == {(project.id, "1栋", "101"), (project.id, "2栋", "105")}
    assert all(office == user.offices[0].id for _unit, office in found.values())
    if s.get_bind().dialect.name == "sqlite":
        (plan,) = plans
        assert "project_id=? AND building=? AND room=?" in plan, plan
        assert "ix_units_office_id" not in plan, plan


def test_another_offices_units_are_not_found(s):
    from models.admin.offices import Office

    user = make_user(s, "clerk")
    project = ref_item(s, "project", "lakeside")
    elsewhere = Office(name="别处", kind="combined", active=True)
    s.add(elsewhere)
    s.flush()
    s.add(Unit(project_id=project.id, building="1栋", room="101", office_id=elsewhere.id))
    s.commit()
    assert units_in_offices(s, user, {(project.id, "1栋", "101")}) == {}
