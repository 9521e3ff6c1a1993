"""Approval-gated edits at the request boundary.

The base view calls these for record types of services/shared/approval_policy.py. They turn a
submitted edit form into plain changes, apply what the role may change directly, file a
change request for the rest, and commit once.
"""

from __future__ import annotations

from decimal import Decimal

from flask import abort, flash, redirect
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import inspect
from sqlalchemy.orm import RelationshipDirection
from wtforms import BooleanField, HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from extensions import db
from services.shared import approvals
from services.shared.approval_policy import gated_fields
from views.privacy import corrections

REASON_FIELD = "approval_reason"


def add_reason_field(form_class):
    """The edit form of a gated record type, with the reason the approver will read."""

    class GatedEditForm(form_class):
        approval_reason = TextAreaField(
            _l("Reason for the change"),
            description=_l("Changes to customer data go to a supervisor for approval."),
            validators=[Optional(), Length(max=1000)],
        )

    return GatedEditForm


def _same(old, new) -> bool:
    if old in ("", None) and new in ("", None):
        return True
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        try:
            return Decimal(str(old)) == Decimal(str(new))
        except ArithmeticError:
            return False
    return old == new


def _label(value) -> str | None:
    return None if value is None else str(value)


def form_changes(form, model) -> dict[str, dict]:
    """{column: {"old", "new", "old_label", "new_label", "field"}} for every column the
    submitted form would change. Inline child lists are not included."""
    mapper = inspect(model).mapper
    changes: dict[str, dict] = {}
    for name, field in form._fields.items():
        if name in mapper.relationships:
            relation = mapper.relationships[name]
            if relation.direction is not RelationshipDirection.MANYTOONE:
                continue
            (column,) = [c.key for c in relation.local_columns]
            old_obj, new_obj = getattr(model, name), field.data
            old = getattr(model, column)
            new = inspect(new_obj).identity[0] if new_obj is not None else None
            if old != new:
                changes[column] = {
                    "old": old,
                    "new": new,
                    "old_label": _label(old_obj),
                    "new_label": _label(new_obj),
                    "field": name,
                }
        elif name in mapper.column_attrs:
            old, new = getattr(model, name), field.data
            if isinstance(new, str) and new == "" and old is None:
                new = None
            if not _same(old, new):
                changes[name] = {
                    "old": old,
                    "new": new,
                    "old_label": _label(old),
                    "new_label": _label(new),
                    "field": name,
                }
    return changes


def gated_update(view, form, model) -> bool:
    """Apply the direct part of an edit, file a change request for the gated part."""
    session = db.session
    user = current_user._get_current_object()
    request = None
    try:
        changes = form_changes(form, model)
        gated = gated_fields(
            view.access_key, user.role_code, {c: (v["old"], v["new"]) for c, v in changes.items()}
        )
        reason = (form[REASON_FIELD].data or "").strip() if REASON_FIELD in form else ""
        if gated and not reason:
            form[REASON_FIELD].errors = [
                *form[REASON_FIELD].errors,
                _("Give the reason for the change; the approver reads it."),
            ]
            flash(_("The change needs a reason before it goes to approval."), "error")
            return False
        held_back = {changes[c]["field"] for c in gated}
        for name, field in form._fields.items():
            if name not in held_back and name != REASON_FIELD:
                field.populate_obj(model, name)
        view._on_model_change(form, model, False)
        session.flush()  # direct changes first, so the request remembers the new version
        direct = {c: _plain(v) for c, v in changes.items() if c not in gated}
        if direct:
            approvals.record_direct_change(
                session,
                user=user,
                record_type=view.access_key,
                record_id=model.id,
                event="updated",
                changes=direct,
            )
        if gated:
            request = approvals.file_update(
                session,
                user=user,
                record_type=view.access_key,
                record=model,
                changes={c: _plain(changes[c]) for c in gated},
                reason=reason,
            )
        # An edit that carries out a customer's correction request (views/privacy/corrections.py).
        corrections.after_edit(view, model, request, changed=bool(changes))
        session.commit()
    except approvals.DuplicatePending as exc:
        session.rollback()
        flash(
            _(
                "A change of this field is already waiting for approval (request #%(id)s).",
                id=exc.request_id,
            ),
            "error",
        )
        return False
    except Exception as exc:  # noqa: BLE001 - any failure rolls the whole action back
        session.rollback()
        if not view.handle_view_exception(exc):
            raise
        return False
    view.after_model_change(form, model, False)
    if request is not None:
        flash(
            _(
                "Submitted for approval (request #%(id)s). The record changes once approved.",
                id=request.id,
            ),
            "info",
        )
        abort(redirect(view.get_url(".details_view", id=model.id)))
    return True


def _plain(change: dict) -> dict:
    return {k: v for k, v in change.items() if k != "field"}


def request_deletion(view, model, reason: str):
    """File a deletion request; returns the request or raises an ApprovalError."""
    user = current_user._get_current_object()
    request = approvals.file_delete(
        db.session, user=user, record_type=view.access_key, record=model, reason=reason
    )
    db.session.commit()
    return request


class DeletionForm(FlaskForm):
    reason = TextAreaField(
        _l("Why should this record be deleted?"),
        validators=[DataRequired(), Length(max=1000)],
    )
    #: The version of the record the page showed (views/shared/concurrency.py).
    record_version = HiddenField()


HISTORY_EVENT_LABELS = {
    "created": _l("created"),
    "updated": _l("changed directly"),
    "requested": _l("change requested"),
    "approved": _l("approved and applied"),
    "rejected": _l("rejected"),
    "stale": _l("stale: record had changed"),
    "refused": _l("refused: own request"),
    "deleted": _l("deletion approved"),
}


def history_event_label(event: str) -> str:
    return str(HISTORY_EVENT_LABELS.get(event, event))


class GatedInlineChange(Exception):
    """An edit form changed or removed a gated child record inline (a household member in
    its unit's form): that must be a change request on the child's own page."""

    def __init__(self, label: str):
        super().__init__(label)
        self.label = label

    @property
    def message(self) -> str:
        return _(
            "%(what)s cannot be changed or removed from this form: open it on its own page, "
            "where the change goes for approval. Nothing was saved.",
            what=self.label,
        )


def refuse_gated_inline_changes(session, role: str | None, parent) -> None:
    """Raise GatedInlineChange when the pending flush would change or delete a gated record
    other than ``parent`` in a way ``role`` may not do directly. Adding one stays direct."""
    types = {model: key for key, model in approvals.RECORD_MODELS.items()}
    for instance in [*session.dirty, *session.deleted]:
        key = types.get(type(instance))
        if key is None or instance is parent:
            continue
        state = inspect(instance)
        if state.deleted or instance in session.deleted:
            raise GatedInlineChange(_label(instance) or key)
        changes = {}
        for attr in state.mapper.column_attrs:
            history = state.attrs[attr.key].history
            if history.has_changes() and history.deleted:
                old, new = history.deleted[0], (history.added or [None])[0]
                if not _same(old, new):
                    changes[attr.key] = (old, new)
        if changes and gated_fields(key, role or "", changes):
            raise GatedInlineChange(_label(instance) or key)


class NotOnModel:
    """A form field that is about the record but not stored on it."""

    def populate_obj(self, obj, name) -> None:
        return None


class ConsentBasisField(NotOnModel, SelectField):
    pass


class ConsentGivenField(NotOnModel, BooleanField):
    pass


def _must_tick(form, field) -> None:
    if not field.data:
        raise ValidationError(
            _(
                "Tell the customer the purpose and get their agreement (or name the contract) "
                "before saving their data."
            )
        )


def add_consent_fields(form_class, bases: tuple[str, ...], purpose: str, version: str):
    """The create form of a customer record, with the basis it is kept on (PIPL)."""
    from services.privacy.consent import BASIS_LABELS

    class ConsentForm(form_class):
        consent_basis = ConsentBasisField(
            _l("Basis for keeping the data"),
            choices=[(b, BASIS_LABELS[b]) for b in bases],
            default=bases[0],
        )
        consent_given = ConsentGivenField(
            _l("Purpose explained and agreed"),
            description=_l(
                "Purpose: %(purpose)s (privacy notice %(version)s)",
                purpose=purpose,
                version=version,
            ),
            validators=[_must_tick],
        )

    return ConsentForm
