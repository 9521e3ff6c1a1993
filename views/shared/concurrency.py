"""No silent overwrite: an edit form remembers the record as it was when the page opened.

Every edit form carries two hidden fields, filled when the page is shown: the record's
version counter and a signed snapshot of every value the form shows (inline rows included,
with the time the page was opened). A save compares the snapshot with the record as it is
now. When something on the form moved meanwhile, nothing is written; the page comes back
with what changed (who, when, each field then / now / as typed) and a form already merged
for one more click: the person's own changes kept, everything they did not touch brought up
to date, the snapshot renewed. The version counter (SQLAlchemy's version_id_col) still
catches the last race between this check and the write.

The snapshot holds what the form already shows in the page, signed so a page cannot make
up an old state; it is never stored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime, time
from decimal import Decimal

from flask import current_app
from flask_admin.form import rules
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import inspect, select
from sqlalchemy.exc import NoInspectionAvailable
from sqlalchemy.orm import Session
from wtforms import BooleanField, HiddenField, SelectFieldBase

from core import masking
from core.clock import office_time
from models.admin.people import User
from models.base import utcnow
from models.privacy.audit import AccessEvent
from services.privacy import audit
from views.shared.gating import REASON_FIELD, NotOnModel

VERSION_FIELD = "record_version"
SNAPSHOT_FIELD = "record_snapshot"
_SALT = "panel-edit-snapshot"
#: Form fields that are about the save, not about the record.
_NOT_STATE = {VERSION_FIELD, SNAPSHOT_FIELD, "csrf_token", REASON_FIELD}
#: Longest text shown for one value in the comparison.
_SHOWN = 200


class _HiddenNotOnModel(NotOnModel, HiddenField):
    pass


class HiddenRule(rules.Field):
    """Keeps a hidden field in a view's form rules (Flask-Admin drops fields a ruleset does
    not name); it renders nothing, the form's hidden fields are rendered before the rules."""

    def __call__(self, form, form_opts=None, field_args=None):
        return ""


def with_hidden_rules(ruleset):
    """A view's form_edit_rules with the two hidden fields; None stays None."""
    if ruleset is None:
        return None
    return (*ruleset, HiddenRule(VERSION_FIELD), HiddenRule(SNAPSHOT_FIELD))


def add_snapshot_fields(form_class):
    """Give a freshly scaffolded edit form class the version and snapshot it is loaded
    with (set on the class itself, so a view may still ``del`` its scaffolded fields)."""
    form_class.record_version = _HiddenNotOnModel()
    form_class.record_snapshot = _HiddenNotOnModel()
    return form_class


def has_snapshot(form) -> bool:
    return SNAPSHOT_FIELD in form._fields


# --- state of a form ---------------------------------------------------------------------
def _plain(value):
    """A JSON value that compares equal for equal field values ("" and None alike)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items()) if k != "csrf_token"}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    try:
        identity = inspect(value).identity
    except NoInspectionAvailable:
        return str(value)
    return {"pk": list(identity) if identity else None}


def _rows(field) -> list:
    """An inline list's rows as submitted or loaded; rows ticked for deletion left out."""
    should_delete = getattr(field, "should_delete", None)
    return [entry.data for entry in field.entries if not (should_delete and should_delete(entry))]


def _field_value(field):
    if hasattr(field, "entries"):
        rows = [_plain(row) for row in _rows(field)]
        return sorted(rows, key=lambda row: json.dumps(row, sort_keys=True, ensure_ascii=False))
    return _plain(field.data)


def _text(name: str, field, value) -> str:
    """What a person reads for ``value`` of ``field``: labels, not codes; numbers masked."""
    if hasattr(field, "entries"):
        rows = []
        for row in _rows(field):
            shown = [
                _short_text(key, item)
                for key, item in row.items()
                if key not in ("id", "csrf_token") and item not in (None, "", False)
            ]
            rows.append(" ".join(shown))
        return "；".join(rows) or "—"
    if value is None or value == "":
        return "—"
    if isinstance(field, BooleanField):
        return _("Yes") if value else _("No")
    choices = getattr(field, "choices", None)
    if isinstance(field, SelectFieldBase) and isinstance(choices, list | tuple):
        labels = {}
        for choice in choices:
            if isinstance(choice, list | tuple) and len(choice) >= 2:
                labels[str(choice[0])] = str(choice[1])
        if str(value) in labels:
            return labels[str(value)]
    return _short_text(name, value)


def _short_text(name: str, value) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(masking.mask(name, value))
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def form_state(form) -> dict[str, dict]:
    """{field: {"v": comparable value, "t": text shown}} for every field about the record."""
    state = {}
    for name, field in form._fields.items():
        if name in _NOT_STATE or isinstance(field, NotOnModel):
            continue
        state[name] = {"v": _field_value(field), "t": _text(name, field, field.data)}
    # Through JSON once, so a fresh state compares equal to one read back from a page.
    return json.loads(json.dumps(state, ensure_ascii=False))


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=_SALT)


def stamp(form, model) -> None:
    """Fill the hidden fields from ``form`` as built from ``model`` (no submitted data)."""
    form[VERSION_FIELD].data = str(getattr(model, "version", "") or "")
    form[SNAPSHOT_FIELD].data = _serializer().dumps(
        {"at": utcnow().isoformat(), "state": form_state(form)}
    )


def _loaded(form) -> dict | None:
    try:
        loaded = _serializer().loads(form[SNAPSHOT_FIELD].data or "")
    except BadSignature:
        return None
    return loaded if isinstance(loaded, dict) and "state" in loaded else None


# --- comparison --------------------------------------------------------------------------
@dataclass
class FieldChange:
    name: str
    label: str
    then: str
    now: str
    yours: str
    #: The person changed this field too: their value is kept, they decide.
    both_changed: bool


@dataclass
class Conflict:
    changes: list[FieldChange] = dataclass_field(default_factory=list)
    #: (who, when in the office's time) of each change since the page was opened.
    changed_by: list[tuple[str, str]] = dataclass_field(default_factory=list)
    #: The page carried no readable snapshot (opened before an upgrade, or altered).
    unreadable: bool = False


def find_conflict(form, fresh, session: Session, record_type: str, record_id: int):
    """None when nothing on the form moved since it was loaded; otherwise what moved.

    ``form`` is the submitted form, ``fresh`` the same form built from the record as it
    is now.
    """
    loaded = _loaded(form)
    if loaded is None:
        return Conflict(unreadable=True)
    then, now, yours = loaded["state"], form_state(fresh), form_state(form)
    moved = [name for name in now if then.get(name, {}).get("v") != now[name]["v"]]
    if not moved:
        return None
    changes = [
        FieldChange(
            name=name,
            label=str(form[name].label.text),
            then=then.get(name, {}).get("t", "—"),
            now=now[name]["t"],
            yours=yours[name]["t"],
            both_changed=yours[name]["v"] != then.get(name, {}).get("v"),
        )
        for name in moved
    ]
    return Conflict(changes, _changed_by(session, record_type, record_id, loaded["at"]))


def _changed_by(session, record_type: str, record_id: int, since: str) -> list[tuple[str, str]]:
    rows = session.execute(
        select(AccessEvent.username, User.full_name, AccessEvent.at)
        .outerjoin(User, User.id == AccessEvent.user_id)
        .where(
            AccessEvent.record_type == record_type,
            AccessEvent.record_id == record_id,
            AccessEvent.at >= datetime.fromisoformat(since),
            AccessEvent.action.not_in(audit.READ_ACTIONS),
        )
        .order_by(AccessEvent.seq)
        .limit(20)
    ).all()
    return [(full_name or username or "—", office_time(at)) for username, full_name, at in rows]


def merge(form, fresh, model, conflict: Conflict) -> None:
    """Make ``form`` ready for one more click: fields the person did not change take the
    record's current value; the snapshot and version become the current ones."""
    for change in conflict.changes:
        if not change.both_changed:
            form._fields[change.name] = fresh._fields[change.name]
            setattr(form, change.name, fresh._fields[change.name])
    stamp(fresh, model)
    form[VERSION_FIELD].data = fresh[VERSION_FIELD].data
    form[SNAPSHOT_FIELD].data = fresh[SNAPSHOT_FIELD].data


# --- deletes and actions on several rows ------------------------------------------------------
def page_opened_at() -> str:
    """The moment a list page is shown (UTC), for its action form."""
    return utcnow().isoformat(timespec="microseconds")


def changed_since_shown(model, form) -> bool | None:
    """Whether ``model`` changed after the page that posts ``form`` showed it: by the row's
    version (a row's own delete button), else by the list's time (an action on several
    rows). None when the page carried neither (it predates this check)."""
    version = form.get(VERSION_FIELD)
    if version is not None and hasattr(model, "version"):
        return version != str(model.version)
    opened = form.get("page_opened_at")
    if opened:
        try:
            shown_at = datetime.fromisoformat(opened)
        except ValueError:
            return None
        updated_at = getattr(model, "updated_at", None)
        return updated_at is not None and updated_at > shown_at
    return None
