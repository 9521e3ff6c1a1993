"""Declarative base, naming convention, column aliases and mixins shared by every model."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    event,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    declared_attr,
    mapped_column,
    relationship,
)

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Aware UTC now; stored as naive UTC so SQLite and PostgreSQL agree."""
    return datetime.now(UTC).replace(tzinfo=None)


# Repeated column shapes (SQLAlchemy 2.x "Declarative Tables", PEP 593).
intpk = Annotated[int, mapped_column(Integer, primary_key=True)]
bigintpk = Annotated[
    int, mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
]
str20 = Annotated[str, mapped_column(String(20))]
str50 = Annotated[str, mapped_column(String(50))]
str100 = Annotated[str, mapped_column(String(100))]
str200 = Annotated[str, mapped_column(String(200))]
text = Annotated[str, mapped_column(Text)]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: DateTime(), date: Date()}


def ref_item_fk(*, use_alter: bool = False, index: bool = True, **kwargs) -> Mapped[int | None]:
    """A foreign key to a reference-list item (retired items stay valid, so never cascades).

    ``index=False`` for a column no page filters or looks up by: every index is written at
    each insert, and items are retired, never deleted, so RESTRICT never has to search it.
    """
    return mapped_column(
        ForeignKey("reference_items.id", ondelete="RESTRICT", use_alter=use_alter),
        index=index,
        **kwargs,
    )


class TimestampMixin:
    #: When the row was created (UTC).
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When the row was last changed (UTC).
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AuditedMixin(TimestampMixin):
    """Timestamps plus the account that created the row."""

    @declared_attr
    def created_by_id(cls) -> Mapped[int | None]:  # noqa: N805
        #: The account that created the row (None for demo seeding and migrations).
        return mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)


class VersionedMixin:
    """Optimistic-lock counter: an update of a stale copy raises StaleDataError."""

    #: Incremented on every update; change requests remember it.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:  # noqa: N805
        return {"version_id_col": cls.version}


class OfficeOwnedMixin:
    """A record that belongs to one office (DOMAIN.md "Offices and ownership").

    ``office_id`` is filled before the first flush when the code creating the row left it
    empty (models/admin/offices.py): from the parent named in ``__office_parents__`` (a visit
    from its card, a lease from its unit), else from the office holding the project named by
    ``__office_project__``, else from the acting account's office of ``__office_kind__``,
    else the group's first office.
    """

    #: Relationship names whose office this row shares, tried in order.
    __office_parents__: tuple[str, ...] = ()
    #: Relationship to the project (reference item) whose office the row belongs to.
    __office_project__: str | None = None
    #: "sales" or "management": which of the acting account's offices a new row goes to.
    __office_kind__: str = "management"
    #: (type column, id column, {type: table}) for rows about a polymorphic subject.
    __office_subject__: tuple[str, str, dict[str, str]] | None = None

    @declared_attr
    def office_id(cls) -> Mapped[int]:  # noqa: N805
        #: The office the record belongs to; staff see their own offices' records only.
        return mapped_column(ForeignKey("offices.id", ondelete="RESTRICT"), index=True)

    @declared_attr
    def office(cls):  # noqa: N805
        return relationship("Office")


# The account on whose behalf the current unit of work runs. The app sets a provider
# (the signed-in user); CLI commands and seeding leave it returning None.
_actor_provider: Callable[[], int | None] = lambda: None  # noqa: E731


def set_actor_provider(provider: Callable[[], int | None]) -> None:
    global _actor_provider
    _actor_provider = provider


def current_actor_id() -> int | None:
    """The signed-in account's id in a request, None in CLI commands and seeding."""
    return _actor_provider()


@event.listens_for(Session, "before_flush")
def _stamp_created_by(session: Session, flush_context, instances) -> None:
    # Inline children (visits under a prospect) never pass through a view's hooks, so the
    # creator is stamped here, once, for every new row.
    new_rows = [obj for obj in session.new if isinstance(obj, AuditedMixin)]
    if not new_rows:
        return
    actor_id = _actor_provider()
    for obj in new_rows:
        if obj.created_by_id is None:
            obj.created_by_id = actor_id
