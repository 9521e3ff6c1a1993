"""A second office for the office-scoping tests of the desks and queues (issue 18).

Office A is the default office of tests/conftest.py (本部, holding every standard project);
every account made by tests/factories.py joins it. Office B holds a project of its own;
its records carry its ``office_id`` and names starting with ``MARK_B``, so a page shows
none of them to A's staff when ``MARK_B`` is not in it.
"""

from __future__ import annotations

from sqlalchemy import select

from extensions import db
from models.admin.offices import Office
from models.admin.reference import ReferenceItem, ReferenceList
from models.privacy.audit import AccessEvent
from tests.factories import ref_item

MARK_B = "城西"


def make_office_b(session, name: str = "城西办") -> Office:
    """Office B with its own project (so no project of A moves to it)."""
    # Office A's project first: ``ref_item(session, "project")`` keeps naming one of A's.
    ref_item(session, "project", "p1")
    project_list = session.scalar(select(ReferenceList).where(ReferenceList.code == "project"))
    project = ReferenceItem(code=f"west_{name}", label=f"{MARK_B}园", sort_order=995)
    project_list.items.append(project)
    session.flush()
    office = Office(name=name, kind="combined", active=True, projects=[project])
    session.add(office)
    session.flush()
    return office


def default_office_id(session) -> int:
    return session.scalar(select(Office.id).order_by(Office.id).limit(1))


def not_found_logged(app, path: str) -> bool:
    """Whether a ``not_found`` access event was written for ``path``."""
    with app.app_context():
        return (
            db.session.scalar(
                select(AccessEvent.id).where(
                    AccessEvent.action == "not_found", AccessEvent.path == path
                )
            )
            is not None
        )
