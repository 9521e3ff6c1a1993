"""The demo group's four offices: two sales offices (售楼部) selling two projects each and two
management offices (管理处) running two estates each, crossed so that each sales office's
buyers live in both estates. Every account of a staff role works in one of them (the
custodian keeps the group's one archive room and works for all four); the admin and the
region managers work without one.

A new database already has one office, 本部, holding every project (services/admin/offices.py):
it becomes the first office here rather than staying behind empty.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.admin.offices import Office
from models.admin.people import User
from models.admin.reference import ReferenceItem
from services.admin.offices import ensure_default_office

#: (key, name, kind, project codes). The first is the group's first office, renamed.
OFFICES = (
    ("chengdong", "城东售楼部", "sales", ("yangguang", "binjiang")),
    ("chengxi", "城西售楼部", "sales", ("cuihu", "jinxiu")),
    ("jinyuan", "锦园管理处", "management", ("jinxiu", "binjiang")),
    ("cuiyuan", "翠苑管理处", "management", ("cuihu", "yangguang")),
)
#: Underground spaces per management office: (code prefix, ((level, spaces), ...)).
GARAGES = {
    "jinyuan": ("JY", (("B1", 30), ("B2", 20))),
    "cuiyuan": ("CY", (("B1", 30), ("B2", 20))),
}


@dataclass
class Offices:
    """The demo's offices by key, and who works in each."""

    by_key: dict[str, Office]
    #: office id -> its accounts by role code, each list in the order the accounts were made.
    staff: dict[int, dict[str, list[User]]]

    def of(self, keys) -> list[Office]:
        return [self.by_key[key] for key in keys]

    def holding(self, project_id: int, kind: str) -> Office:
        """The office of ``kind`` holding the project."""
        for office in self.by_key.values():
            if office.kind == kind and any(p.id == project_id for p in office.projects):
                return office
        raise LookupError(f"no {kind} office holds project {project_id}")

    def people(self, office_id: int, role: str) -> list[User]:
        return self.staff.get(office_id, {}).get(role, [])

    def management_ids(self) -> list[int]:
        return [office.id for office in self.by_key.values() if office.kind == "management"]


def seed_offices(session: Session, projects: dict[str, ReferenceItem]) -> Offices:
    """The four offices with their projects; the group's first office is reused."""
    first = ensure_default_office(session)
    by_key: dict[str, Office] = {}
    for n, (key, name, kind, codes) in enumerate(OFFICES):
        office = (
            first
            if n == 0
            else session.scalar(select(Office).where(Office.name == name)) or Office(name=name)
        )
        office.name, office.kind, office.active = name, kind, True
        office.projects = [projects[code] for code in codes]
        session.add(office)
        by_key[key] = office
    session.flush()
    return Offices(by_key, {})


def record_staff(offices: Offices, users) -> None:
    """Note who works in which office, for the areas that pick a clerk or supervisor."""
    for user in users:
        for office in user.offices:
            roles = offices.staff.setdefault(office.id, {})
            roles.setdefault(user.role_code, []).append(user)
