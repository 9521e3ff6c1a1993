"""Many-to-one references of a page's records, loaded by one query per kind of target.

Used by the scoping mixin (a details page's card) and the listing mixin (a list page's rows);
kept apart from both because mixins do not import each other
(tests/unit/shared/test_base_view_mixins.py).
"""

from __future__ import annotations

from flask import g
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from sqlalchemy.orm import MANYTOONE
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression

from extensions import db


def simple_many_to_one(relation) -> bool:
    """A many-to-one relation that is exactly "this foreign key = the target's primary key"
    (what a lazy load would find by the key alone): ``load_many_to_one`` may set it."""
    if (
        relation.direction is not MANYTOONE
        or relation.uselist
        or relation.secondary is not None
        or len(relation.local_remote_pairs) != 1
        or not isinstance(relation.primaryjoin, BinaryExpression)
        or relation.primaryjoin.operator is not operators.eq
    ):
        return False
    target_pk = relation.mapper.primary_key
    return len(target_pk) == 1 and relation.local_remote_pairs[0][1] is target_pk[0]


def load_many_to_one(records: list, keys) -> None:
    """Set the many-to-one relations ``keys`` of ``records`` (one class) from one query per
    kind of target (a card's fourteen reference items are one query, a list page's sources,
    projects and grades too) instead of a lazy load or a selectinload each. Relations not
    simple (``simple_many_to_one``) or already loaded are left alone; a key whose record
    the query did not find is left to its lazy load, as before."""
    if not records:
        return
    mapper = sa_inspect(records[0]).mapper
    plan = []
    for relation in mapper.relationships:
        if relation.key in keys and simple_many_to_one(relation):
            local = relation.local_remote_pairs[0][0]
            plan.append((relation, mapper.get_property_by_column(local).key))
    wanted: dict = {}
    pending = []
    for relation, attribute in plan:
        for record in records:
            if relation.key in sa_inspect(record).dict:
                continue
            value = getattr(record, attribute)
            pending.append((record, relation, value))
            if value is not None:
                wanted.setdefault(relation.mapper, set()).add(value)
    found: dict = {}
    # Kept on g: the session holds its records weakly, and the page reads them later.
    loaded = g.setdefault("loaded_references", [])
    for target, ids in wanted.items():
        pk = target.primary_key[0]
        pk_key = target.get_property_by_column(pk).key
        rows = db.session.scalars(select(target.class_).where(pk.in_(sorted(ids)))).all()
        loaded.extend(rows)
        found[target] = {getattr(row, pk_key): row for row in rows}
    for record, relation, value in pending:
        if value is None:
            set_committed_value(record, relation.key, None)
        elif value in found[relation.mapper]:
            set_committed_value(record, relation.key, found[relation.mapper][value])
