"""Many-to-one references of a page's records, loaded by one query per kind of target.

Used by the scoping mixin (a details page's card) and the listing mixin (a list page's rows);
kept apart from both because mixins do not import each other
(tests/unit/shared/test_base_view_mixins.py).
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from flask import g
from sqlalchemy import bindparam, select
from sqlalchemy.orm import MANYTOONE
from sqlalchemy.orm.attributes import instance_dict, instance_state
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


#: mapper -> its simple many-to-one relations, in the mapper's order, each as (key, target
#: mapper, the attribute of its foreign key, the attribute's implementation): worked out once
#: per mapper rather than once a page (a list page asked inspect() some sixty times).
_PLANS: WeakKeyDictionary = WeakKeyDictionary()


def _plan(mapper) -> tuple:
    plan = _PLANS.get(mapper)
    if plan is None:
        plan = _PLANS[mapper] = tuple(
            (
                relation.key,
                relation.mapper,
                mapper.get_property_by_column(relation.local_remote_pairs[0][0]).key,
                mapper.class_manager[relation.key].impl,
            )
            for relation in mapper.relationships
            if simple_many_to_one(relation)
        )
    return plan


#: mapper -> (SELECT of its records by primary keys, an expanding parameter "ids"; the key's
#: attribute): the same statement as one built each time, built once.
_BY_KEYS: WeakKeyDictionary = WeakKeyDictionary()


def _by_keys(target) -> tuple:
    kept = _BY_KEYS.get(target)
    if kept is None:
        pk = target.primary_key[0]
        statement = select(target.class_).where(pk.in_(bindparam("ids", expanding=True)))
        kept = _BY_KEYS[target] = (statement, target.get_property_by_column(pk).key)
    return kept


def load_many_to_one(records: list, keys) -> None:
    """Set the many-to-one relations ``keys`` of ``records`` (one class) from one query per
    kind of target (a card's fourteen reference items are one query, a list page's sources,
    projects and grades too) instead of a lazy load or a selectinload each. Relations not
    simple (``simple_many_to_one``) or already loaded are left alone; a key whose record
    the query did not find is left to its lazy load, as before."""
    if not records:
        return
    mapper = instance_state(records[0]).mapper
    plan = [step for step in _plan(mapper) if step[0] in keys]
    if not plan:
        return
    states = [(record, instance_state(record), instance_dict(record)) for record in records]
    wanted: dict = {}
    pending = []
    for key, target, attribute, impl in plan:
        for record, state, values in states:
            if key in values:
                continue
            value = getattr(record, attribute)
            pending.append((state, values, impl, target, value))
            if value is not None:
                wanted.setdefault(target, set()).add(value)
    found: dict = {}
    # Kept on g: the session holds its records weakly, and the page reads them later.
    loaded = g.setdefault("loaded_references", [])
    for target, ids in wanted.items():
        statement, pk_key = _by_keys(target)
        rows = db.session.scalars(statement, {"ids": sorted(ids)}).all()
        loaded.extend(rows)
        found[target] = {getattr(row, pk_key): row for row in rows}
    for state, values, impl, target, value in pending:
        if value is None:
            impl.set_committed_value(state, values, None)
        else:
            row = found[target].get(value)
            if row is not None:
                impl.set_committed_value(state, values, row)
