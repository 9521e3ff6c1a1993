"""Offices of the group: sales offices (售楼部), management offices (管理处) and, for a group
of one, a combined office. Every customer record belongs to one office
(models.base.OfficeOwnedMixin); every account to one or more (``user_offices``); each office
holds projects/estates (``office_projects``): a prospect of a project belongs to the sales
office holding it, a unit to the management office holding it.

Filling a new row's office happens here, once, before every flush, so inline children and
rows created by services never go without one.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    case,
    event,
    func,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import Base, OfficeOwnedMixin, TimestampMixin, current_actor_id, intpk

#: sales: sells projects; management: runs estates; combined: both (a group of one office).
OFFICE_KINDS = ("sales", "management", "combined")

user_offices = Table(
    "user_offices",
    Base.metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("office_id", Integer, ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True),
)

office_projects = Table(
    "office_projects",
    Base.metadata,
    Column("office_id", Integer, ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "project_id",
        Integer,
        ForeignKey("reference_items.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class Office(TimestampMixin, Base):
    __tablename__ = "offices"
    __table_args__ = (CheckConstraint("kind IN ('sales','management','combined')", name="kind"),)

    id: Mapped[intpk]
    #: Shown to staff: 城东售楼部, 锦园管理处.
    name: Mapped[str] = mapped_column(String(50), unique=True)
    #: sales, management or combined (OFFICE_KINDS).
    kind: Mapped[str] = mapped_column(String(12), default="combined")
    #: A closed office keeps its records; no new account joins it.
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    projects = relationship(
        "ReferenceItem", secondary=office_projects, order_by="ReferenceItem.sort_order"
    )
    members = relationship("User", secondary=user_offices, back_populates="offices")

    def __str__(self) -> str:
        return self.name


def _kind_first(kind: str):
    """Offices of ``kind`` (or combined) before the others, then by id."""
    return case((Office.kind.in_((kind, "combined")), 0), else_=1)


def project_office_id(session: Session, project_id: int, kind: str) -> int | None:
    """The office of ``kind`` (or a combined one) holding the project."""
    return session.scalar(
        select(office_projects.c.office_id)
        .join(Office, Office.id == office_projects.c.office_id)
        .where(office_projects.c.project_id == project_id, Office.kind.in_((kind, "combined")))
        .order_by(Office.id)
        .limit(1)
    )


def account_office_id(session: Session, user_id: int, kind: str) -> int | None:
    """The account's office for new rows of ``kind``: one of that kind if it has one."""
    return session.scalar(
        select(Office.id)
        .join(user_offices, user_offices.c.office_id == Office.id)
        .where(user_offices.c.user_id == user_id)
        .order_by(_kind_first(kind), Office.id)
        .limit(1)
    )


def default_office_id(session: Session) -> int | None:
    """The group's first office: where rows go that nothing else places."""
    return session.scalar(select(func.min(Office.id)))


def _from_parents(obj: OfficeOwnedMixin) -> int | None:
    for name in obj.__office_parents__:
        parent = getattr(obj, name, None)
        if parent is not None and getattr(parent, "office_id", None) is not None:
            return parent.office_id
    return None


def _from_subject(session: Session, obj: OfficeOwnedMixin) -> int | None:
    type_column, id_column, tables = obj.__office_subject__
    table_name = tables.get(getattr(obj, type_column))
    subject_id = getattr(obj, id_column)
    if table_name is None or subject_id is None:
        return None
    table = Base.metadata.tables[table_name]
    return session.scalar(select(table.c.office_id).where(table.c.id == subject_id))


def _from_project(session: Session, obj: OfficeOwnedMixin) -> int | None:
    project = getattr(obj, obj.__office_project__, None)
    if project is None or project.id is None:
        return None
    return project_office_id(session, project.id, obj.__office_kind__)


def derive_office_id(session: Session, obj: OfficeOwnedMixin) -> int | None:
    """Where a new row belongs when its creator did not say (see OfficeOwnedMixin)."""
    office_id = _from_parents(obj)
    if office_id is None and obj.__office_subject__ is not None:
        office_id = _from_subject(session, obj)
    if office_id is None and obj.__office_project__ is not None:
        office_id = _from_project(session, obj)
    if office_id is None:
        actor = current_actor_id()
        if actor is not None:
            office_id = account_office_id(session, actor, obj.__office_kind__)
    if office_id is None:
        office_id = default_office_id(session)
    return office_id


@event.listens_for(Session, "before_flush")
def _place_new_rows(session: Session, flush_context, instances) -> None:
    pending = [o for o in session.new if isinstance(o, OfficeOwnedMixin) and o.office_id is None]
    if not pending:
        return
    with session.no_autoflush:
        # Parents first: a new card's visits take the card's office once the card has one.
        for _ in range(3):
            waiting = []
            for obj in pending:
                office_id = _from_parents(obj)
                if office_id is not None:
                    obj.office_id = office_id
                elif any(
                    getattr(getattr(obj, name, None), "office_id", 0) is None
                    for name in obj.__office_parents__
                ):
                    waiting.append(obj)
                else:
                    obj.office_id = derive_office_id(session, obj)
            if not waiting or len(waiting) == len(pending):
                pending = waiting
                break
            pending = waiting
        for obj in pending:
            obj.office_id = derive_office_id(session, obj)
