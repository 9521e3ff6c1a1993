"""The rules of editing offices (services/admin/offices.py): a project has at most one
sales-capable and one management-capable office, closed offices included; staff accounts
need an office (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from extensions import db
from models.admin.offices import Office
from models.admin.reference import ReferenceItem, ReferenceList
from services.admin.offices import (
    OfficeError,
    check_account_offices,
    check_projects,
    needs_office,
    office_choices,
)


def _project(code: str) -> ReferenceItem:
    project_list = db.session.scalar(select(ReferenceList).where(ReferenceList.code == "project"))
    item = ReferenceItem(code=code, label=code, sort_order=900)
    project_list.items.append(item)
    db.session.flush()
    return item


def _office(name: str, kind: str, *projects, active: bool = True) -> Office:
    office = Office(name=name, kind=kind, active=active, projects=list(projects))
    db.session.add(office)
    db.session.flush()
    return office


def test_a_project_has_one_office_of_each_kind(app):
    with app.app_context():
        east, west = _project("east"), _project("west")
        sales = _office("城东售楼部", "sales", east)
        # A management office may run what a sales office sells, and the office itself is no
        # conflict with its own projects.
        check_projects(db.session, None, "management", [east])
        check_projects(db.session, sales, "sales", [east, west])
        for kind in ("sales", "combined"):
            with pytest.raises(OfficeError, match="城东售楼部"):
                check_projects(db.session, None, kind, [west, east])
        _office("锦园管理处", "management", west, active=False)
        # A closed office still holds its estate: new units must have one place to go.
        with pytest.raises(OfficeError, match="锦园管理处"):
            check_projects(db.session, None, "management", [west])
        with pytest.raises(OfficeError, match="锦园管理处"):
            check_projects(db.session, sales, "combined", [east, west])
        check_projects(db.session, None, "sales", [])
        db.session.rollback()


def test_staff_need_an_office_and_closed_offices_take_no_one_new(app):
    with app.app_context():
        open_office = _office("城西售楼部", "sales")
        closed = _office("旧售楼部", "sales", active=False)
        assert [needs_office(r) for r in ("clerk", "supervisor", "custodian")] == [True] * 3
        assert not needs_office("admin") and not needs_office("region_manager")
        with pytest.raises(OfficeError):
            check_account_offices("clerk", [])
        check_account_offices("clerk", [open_office])
        check_account_offices("admin", [])
        offered = office_choices(db.session)
        assert open_office in offered and closed not in offered
        assert closed in office_choices(db.session, keep=[closed])
        db.session.rollback()
