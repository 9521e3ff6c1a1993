"""The one secure base view every model view inherits.

Flask-Admin's defaults are open; this closes them once:
- ``is_accessible``: signed in and the role holds a right on this view (core/access.py);
  anonymous users go to /login, signed-in users without the right get 403.
- ``_handle_view``: one choke point per endpoint; each endpoint needs its right (edit form
  and the editable-list ajax need E, export needs O, each batch action its declared right);
  an endpoint nobody declared is refused.
- ``get_one`` loads through ``get_query`` so row scoping holds on details/edit/delete, and a
  row outside the scope is a 404; ``get_count_query`` applies the same scope.
- export is limited to declared columns (never "every column") and to ``export_max_rows``.
- errors flash a plain message in the user's language; nothing of the SQL or its values.
"""

from __future__ import annotations

import logging

from flask import (
    abort,
    current_app,
    flash,
    g,
    has_app_context,
    has_request_context,
    redirect,
    request,
    url_for,
)
from flask_admin import BaseView, expose
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.tools import get_query_for_ids
from flask_admin.form import BaseForm
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from jinja2 import pass_context
from markupsafe import Markup
from sqlalchemy import Unicode, and_, cast, false, literal, or_
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.elements import False_

from core import access, masking
from core.crypto import ID_NUMBER, PHONE
from extensions import db
from models.types import EncryptedJSON, EncryptedString, is_encrypted
from services.privacy import audit
from services.privacy import consent as consents
from services.shared import approvals, name_search
from services.shared.approval_policy import deletion_is_gated, policy_for
from views.shared import concurrency, encrypted_fields, exports, gating
from views.shared.audit_context import current_actor, log_in_own_transaction
from views.shared.capped_count import COUNT_CAP, CappedCountQuery, cap_for
from views.shared.encrypted_fields import PanelModelConverter
from views.shared.labels import COMMON_LABELS

log = logging.getLogger(__name__)


class PanelForm(BaseForm):
    """Flask-Admin's form with Flask-WTF's CSRF token, so CSRFProtect accepts its POSTs."""

    class Meta(FlaskForm.Meta):
        pass


# Endpoint function name -> access-log action written after it showed customer data.
READ_EVENTS = {
    "index_view": "list",
    "details_view": "details",
    "edit_view": "details",
    "export": "export",
}

# Endpoint function name -> right it needs. Anything not listed is refused.
ENDPOINT_RIGHTS = {
    "index_view": access.LIST,
    "details_view": access.DETAILS,
    "create_view": access.CREATE,
    "edit_view": access.EDIT,
    "delete_view": access.DELETE,
    "export": access.EXPORT,
    "ajax_update": access.EDIT,
    "ajax_lookup": access.LIST,
    # Asking for a deletion is part of correcting a record: it needs the edit right.
    "request_delete_view": access.EDIT,
    # Showing full numbers: reaching it needs details; reveal_view checks can_reveal itself.
    "reveal_view": access.DETAILS,
    # Recording a customer's withdrawal of consent changes their record.
    "withdraw_consent_view": access.EDIT,
    # action_view is checked per action, below.
}


def current_role() -> str | None:
    if not current_user.is_authenticated:
        return None
    return current_user.role_code


class SecureModelView(ModelView):
    """Base of every model view. Subclasses declare columns, labels, search and filters."""

    #: Key of this view's row in core/access.py; also its endpoint and URL.
    access_key: str = ""
    #: Right each batch action needs (action name -> letter).
    action_rights: dict[str, str] = {"delete": access.DELETE}
    #: Rights for extra @expose endpoints of a subclass (function name -> letter).
    extra_endpoint_rights: dict[str, str] = {}

    form_base_class = PanelForm
    model_form_converter = PanelModelConverter
    can_view_details = True
    can_set_page_size = True
    page_size = 20
    page_size_options = (20, 50, 100)
    export_types = ["csv", "xlsx"]
    details_modal = False
    edit_modal = False
    create_modal = False
    column_display_pk = False
    details_template = "admin/model/panel_details.html"
    edit_template = "admin/model/panel_edit.html"
    extra_js = ["/static/csp-handlers.js", "/static/panel.js"]
    # Lists never lazy-load a relation per row: subclasses list their joins here.
    column_auto_select_related = True
    #: Many-to-one relations the list shows, loaded after the page (scaffold_auto_joins).
    list_relations: list = []

    def __init__(self, model, db, **kwargs):
        kwargs.setdefault("endpoint", self.access_key)
        kwargs.setdefault("url", f"/admin/{self.access_key}")
        if self.access_key not in access.RIGHTS:
            raise LookupError(f"view {self.access_key!r} has no row in core/access.py")
        self.column_labels = {**COMMON_LABELS, **(self.column_labels or {})}
        self.form_edit_rules = concurrency.with_hidden_rules(self.form_edit_rules)
        if self.column_editable_list:
            raise TypeError(
                f"{type(self).__name__}: list editing cannot carry the record's version; "
                "edit on the edit page (views/shared/concurrency.py)"
            )
        super().__init__(model, db, **kwargs)

    # --- rights -----------------------------------------------------------------------
    @property
    def rights(self) -> frozenset[str]:
        return access.rights_for(current_role(), self.access_key)

    def _right_or_scaffold(self, letter: str) -> bool:
        # Outside a request (scaffolding at start-up) answer True so every column list
        # is built; inside a request the role decides.
        if not has_request_context():
            return True
        return letter in self.rights

    @property
    def can_create(self) -> bool:  # type: ignore[override]
        return self._right_or_scaffold(access.CREATE)

    @property
    def can_edit(self) -> bool:  # type: ignore[override]
        return self._right_or_scaffold(access.EDIT)

    @property
    def can_delete(self) -> bool:  # type: ignore[override]
        return self._right_or_scaffold(access.DELETE)

    @property
    def can_export(self) -> bool:  # type: ignore[override]
        return self._right_or_scaffold(access.EXPORT)

    def is_accessible(self) -> bool:
        return current_user.is_authenticated and access.LIST in self.rights

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)

    def _handle_view(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        rights = self.rights
        if not rights:
            abort(403)
        if name == "action_view":
            action = request.form.get("action", "")
            needed = self.action_rights.get(action)
        else:
            needed = ENDPOINT_RIGHTS.get(name) or self.extra_endpoint_rights.get(name)
        if needed is None or needed not in rights:
            abort(403)
        if name == "export" and not self.get_export_columns():
            abort(403)
        return None

    # --- access log -----------------------------------------------------------------------
    def _run_view(self, fn, *args, **kwargs):
        g.audit_ids = []
        response = super()._run_view(fn, *args, **kwargs)
        action = READ_EVENTS.get(fn.__name__)
        if action and request.method == "GET":
            self._log_read(action)
        return response

    def _log_read(self, action: str) -> None:
        term = request.args.get("search", "").strip() or None
        if action == "list" and term:
            action = "search"
        record_id = None
        if action == "details":
            try:
                record_id = int(request.args.get("id", ""))
            except ValueError:
                record_id = None
        log_in_own_transaction(
            action,
            fail_closed=True,
            record_type=self.access_key,
            record_id=record_id,
            record_ids=g.get("audit_ids", []),
            term=term,
        )

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        # A crafted ?page=-1 would be a negative OFFSET, which PostgreSQL refuses: clamp it.
        page = max(page or 0, 0) if page is not None else None
        if page_size is not None and page_size <= 0:
            page_size = None
        g.count_cap = cap_for(page, page_size or self.page_size)
        count, query = super().get_list(
            page, sort_column, sort_desc, search, filters, execute=False, page_size=page_size
        )
        if not execute:
            return count, query
        after = self.after_page_relations(query)
        rows = query.options(*(selectinload(relation) for relation in after)).all()
        if has_request_context():
            g.audit_ids = [row.id for row in rows]
            if self.consent_bases:
                g.withdrawn_ids = consents.withdrawn_ids(
                    db.session, self.model, self.access_key, g.audit_ids
                )
        return count, rows

    def after_page_relations(self, query) -> list:
        """list_relations minus those ``query``'s own loader options load already (a view's
        get_query may join some itself)."""
        taken = set()
        for option in getattr(query, "_with_options", ()):
            for element in getattr(option, "context", ()):
                path = element.path
                if len(path) > 1 and getattr(path[0], "class_", None) is self.model:
                    taken.add(path[1].key)
        return [relation for relation in self.list_relations if relation.key not in taken]

    def scaffold_auto_joins(self):
        # Flask-Admin joins each many-to-one relation the list shows into the page query
        # (joinedload); with an OFFSET the database then joins every skipped row too, which
        # made page 2,000 cost twice page 1. The relations are loaded after the page instead,
        # one "WHERE id IN (20 ids)" query each (get_list).
        self.list_relations = super().scaffold_auto_joins()
        return []

    def _log_change(self, action: str, model) -> None:
        """An event in the same transaction as the change it describes."""
        audit.record(
            db.session,
            current_actor(),
            action,
            record_type=self.access_key,
            record_id=model.id,
            path=request.path,
        )

    def on_model_delete(self, model):
        self._log_change("delete", model)

    def is_action_allowed(self, name: str) -> bool:
        if name == "delete" and self.is_gated:
            return False  # deletions of customer records are requests, one at a time
        needed = self.action_rights.get(name)
        return needed is not None and needed in self.rights and super().is_action_allowed(name)

    # --- approval gate ------------------------------------------------------------------
    @property
    def is_gated(self) -> bool:
        return policy_for(self.access_key) is not None

    # --- consent (PIPL) ---------------------------------------------------------------------
    #: Bases a new record of this view may be kept on; empty: no consent asked.
    consent_bases: tuple[str, ...] = ()

    def get_create_form(self):
        form_class = super().get_create_form()
        if not self.consent_bases or not has_app_context():
            return form_class
        return gating.add_consent_fields(
            form_class,
            self.consent_bases,
            current_app.config["PRIVACY_PURPOSE"],
            current_app.config["PRIVACY_POLICY_VERSION"],
        )

    def create_form(self, obj=None):
        # The form class is built at start-up, outside the app: add the consent fields here,
        # where the configured purpose and notice version are known.
        if self.consent_bases and not hasattr(self._create_form_class, "consent_given"):
            self._create_form_class = self.get_create_form()
        return super().create_form(obj)

    def _record_consent(self, form, model) -> None:
        consents.record(
            db.session,
            current_user._get_current_object(),
            subject_type=self.access_key,
            subject_id=model.id,
            basis=form.consent_basis.data,
            purpose=current_app.config["PRIVACY_PURPOSE"],
            policy_version=current_app.config["PRIVACY_POLICY_VERSION"],
        )

    @expose("/withdraw-consent/", methods=("POST",))
    def withdraw_consent_view(self):
        if not self.consent_bases:
            abort(404)
        model = self.get_one(request.args.get("id"))
        details_url = self.get_url(".details_view", id=model.id)
        if not FlaskForm().validate_on_submit():
            abort(400)
        consent_id = request.form.get("consent_id", type=int)
        owned = {c.id for c in consents.for_subject(db.session, self.access_key, model.id)}
        if consent_id not in owned:
            abort(404)
        try:
            consents.withdraw(
                db.session,
                current_user._get_current_object(),
                consent_id,
                request.form.get("note", ""),
                actor=current_actor(),
            )
            db.session.commit()
        except consents.ConsentError as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
        else:
            flash(_("The withdrawal of consent is recorded."), "info")
        return redirect(details_url)

    def get_edit_form(self):
        form_class = concurrency.add_snapshot_fields(super().get_edit_form())
        return gating.add_reason_field(form_class) if self.is_gated else form_class

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if obj is not None and request.method == "GET" and concurrency.has_snapshot(form):
            concurrency.stamp(form, obj)
        return form

    def _edit_is_current(self, form, model) -> bool:
        """False, with the page made ready to re-apply, when the record moved since the
        form was loaded (views/shared/concurrency.py); nothing is written then."""
        if not concurrency.has_snapshot(form):
            return True
        with db.session.no_autoflush:
            fresh = self._edit_form_class(formdata=None, obj=model)
            conflict = concurrency.find_conflict(form, fresh, db.session, self.access_key, model.id)
            if conflict is None:
                return True
            concurrency.merge(form, fresh, model, conflict)
        g.edit_conflict = conflict
        if conflict.unreadable:
            flash(
                _(
                    "This page is out of date. It now shows the record as it is; check it and save again."
                ),
                "error",
            )
        else:
            flash(
                _(
                    "Someone changed this record after you opened it. Nothing of yours was "
                    "saved yet: compare below, then save again to apply your changes."
                ),
                "error",
            )
        return False

    def update_model(self, form, model):
        if not self._edit_is_current(form, model):
            return False
        if self.is_gated:
            return gating.gated_update(self, form, model)
        # No autoflush while the form is copied in, so every inline change is still pending
        # when _on_model_change looks for gated children changed inline.
        with db.session.no_autoflush:
            return super().update_model(form, model)

    def _on_model_change(self, form, model, is_created):
        super()._on_model_change(form, model, is_created)
        if not is_created:
            gating.refuse_gated_inline_changes(db.session, current_role(), model)
        db.session.flush()
        self._log_change("create" if is_created else "update", model)
        if is_created and self.consent_bases:
            self._record_consent(form, model)
        if is_created and self.is_gated:
            approvals.record_direct_change(
                db.session,
                user=current_user._get_current_object(),
                record_type=self.access_key,
                record_id=model.id,
                event="created",
            )

    def delete_model(self, model):
        if deletion_is_gated(self.access_key):
            flash(_('Deleting customer data needs approval: use "Request deletion".'), "error")
            return False
        changed = concurrency.changed_since_shown(model, request.form)
        if changed is None and (hasattr(model, "version") or hasattr(model, "updated_at")):
            changed = True  # a page that cannot say what it showed: look again
        if changed:
            flash(
                _(
                    "%(record)s changed after the page was shown, so it was not deleted. "
                    "Look at it again and delete it if you still mean to.",
                    record=str(model),
                ),
                "error",
            )
            return False
        return super().delete_model(model)

    @expose("/ajax/update/", methods=("POST",))
    def ajax_update(self):
        """Flask-Admin's list editing sends one value without the version the row was shown
        at, so it could overwrite a change made since: the panel edits on the edit page."""
        return _("Edit this record on its own page."), 409

    @expose("/request-delete/", methods=("GET", "POST"))
    def request_delete_view(self):
        if not deletion_is_gated(self.access_key):
            abort(404)
        model = self.get_one(request.args.get("id"))
        details_url = self.get_url(".details_view", id=model.id)
        form = gating.DeletionForm()
        shown = str(getattr(model, "version", ""))
        if form.is_submitted() and form.record_version.data != shown:
            # The record changed after the page was shown: the person looks at it again.
            flash(
                _(
                    "This record changed after the page was shown. Look at it again and ask "
                    "for the deletion if you still mean to."
                ),
                "error",
            )
            form.record_version.data = shown
            return self.render(
                "admin/model/request_delete.html", model=model, form=form, return_url=details_url
            )
        if not form.is_submitted():
            form.record_version.data = shown
        if form.validate_on_submit():
            try:
                filed = gating.request_deletion(self, model, form.reason.data)
            except approvals.DuplicatePending as exc:
                db.session.rollback()
                flash(
                    _(
                        "A deletion of this record is already waiting (request #%(id)s).",
                        id=exc.request_id,
                    ),
                    "error",
                )
                return redirect(details_url)
            flash(_("Deletion submitted for approval (request #%(id)s).", id=filed.id), "info")
            return redirect(details_url)
        return self.render(
            "admin/model/request_delete.html", model=model, form=form, return_url=details_url
        )

    def related_links(self, model) -> list[tuple[str, str, dict]]:
        """Pages about this record, as (label, endpoint, url arguments); the details page
        shows those the current role may open. Subclasses add theirs."""
        return []

    def allowed_related_links(self, model) -> list[tuple[str, str]]:
        role = current_role()
        return [
            (label, url_for(endpoint, **args))
            for label, endpoint, args in self.related_links(model)
            if _may_open(role, endpoint)
        ]

    #: Roles that see "who looked at this record" on details pages.
    access_panel_roles = frozenset({"supervisor", "admin"})

    def access_panel(self, model):
        """Latest access-log events about this record, for supervisors and admins."""
        if current_role() not in self.access_panel_roles:
            return None
        return audit.events_for_record(db.session, self.access_key, model.id)

    def record_panel(self, model) -> dict:
        """Pending requests and change history shown on a gated record's details page."""
        if not self.is_gated:
            return {}
        return {
            "pending": approvals.pending_for_record(db.session, self.access_key, model.id),
            "history": approvals.history_for_record(db.session, self.access_key, model.id),
            "consents": (
                consents.for_subject(db.session, self.access_key, model.id)
                if self.consent_bases
                else None
            ),
        }

    def _get_list_filter_args(self):
        # As in search: NUL never belongs in a filter value and PostgreSQL refuses it.
        filters = super()._get_list_filter_args()
        if not filters:
            return filters
        return [(idx, name, value.replace("\x00", "")) for idx, name, value in filters]

    def _get_filter_groups(self):
        # Flask-Admin caches filter options at start-up; reference lists change at run time.
        groups = super()._get_filter_groups()
        for items in (groups or {}).values():
            for item in items:
                _index, flt = self._filter_args[item["arg"]]
                if getattr(flt, "live_options", False):
                    item["options"] = flt.get_options(self) or None
        return groups

    # --- masking and reveal -----------------------------------------------------------------
    #: Roles with this right on the view may reveal full numbers on its details page.
    reveal_right = access.EDIT

    @property
    def can_reveal(self) -> bool:
        return has_request_context() and self.reveal_right in self.rights

    @property
    def revealing(self) -> bool:
        """True while rendering the details page a reveal asked for (one response only)."""
        return has_request_context() and g.get("reveal", False)

    @property
    def has_masked_details(self) -> bool:
        """Whether the details page hides a number (its own columns or a child table's)."""
        formatters = self.column_formatters_detail or {}
        return any(
            masking.kind_of(column) or getattr(formatters.get(column), "masked", False)
            for column, _label in self._details_columns
        )

    @pass_context
    def get_list_value(self, context, model, name):
        value = masking.mask(name, super().get_list_value(context, model, name))
        if name == "name" and model.id in g.get("withdrawn_ids", ()):
            # Marked wherever the record is listed: its consent no longer stands.
            return Markup(
                '{} <span class="badge badge-secondary consent-withdrawn">{}</span>'
            ).format(value, consents.WITHDRAWN_LABEL)
        return value

    def consent_withdrawn(self, model) -> bool:
        """Whether the record's consent was withdrawn (shown on its details page). The page
        asks twice (the banner, the print button): one query per request."""
        if not self.consent_bases:
            return False
        known = g.setdefault("consent_withdrawn", {})
        if model.id not in known:
            known[model.id] = consents.is_withdrawn(
                db.session, self.model, self.access_key, model.id
            )
        return known[model.id]

    @pass_context
    def get_detail_value(self, context, model, name):
        value = super().get_detail_value(context, model, name)
        return value if self.revealing else masking.mask(name, value)

    def get_export_value(self, model, name):
        """The one function every export cell goes through: masked and formula-safe."""
        return masking.export_cell(name, super().get_export_value(model, name))

    @expose("/reveal/", methods=("POST",))
    def reveal_view(self):
        """The details page once more, with full numbers, after a deliberate click; logged."""
        if not self.can_reveal:
            abort(403)
        if not FlaskForm().validate_on_submit():
            abort(400)
        model = self.get_one(request.args.get("id"))
        log_in_own_transaction(
            "reveal", fail_closed=True, record_type=self.access_key, record_id=model.id
        )
        g.reveal = True
        return self.details_view()

    # --- search -------------------------------------------------------------------------
    #: Longest search term accepted; longer input is cut, never an error.
    search_max_length = 100

    def search_conditions(self, term: str) -> list:
        """SQL conditions, any one of which makes a row match the whole search ``term``.

        Two kinds, so each can grow on its own: exact identity matches (a full phone or ID
        number through its blind index) and text matches (names and other plain columns).
        """
        return [*self.exact_search_conditions(term), *self.text_search_conditions(term)]

    def exact_search_conditions(self, term: str) -> list:
        """Exact matches of the whole term on the encrypted searchable columns that keep a
        blind index (a full mobile or ID number): "138 0013 8000" finds 13800138000."""
        if not self.column_searchable_list:
            return []
        return encrypted_fields.exact_conditions(self.model, self.column_searchable_list, term)

    def text_search_conditions(self, term: str) -> list:
        """Default: every word must appear (case-insensitively) in one of the view's
        ``column_searchable_list`` columns; a related column ("owner.name") matches through
        EXISTS, so the list query needs no join."""
        words = [w for w in term.split() if w]
        # Encrypted columns hold tokens: a LIKE on them would match random base64.
        paths = encrypted_fields.text_paths(self.model, self.column_searchable_list or ())
        if not words or not paths:
            return []
        per_word = []
        for word in words:
            # Drop matches that cannot hold (a number is no name): a constant FALSE in an OR
            # costs SQLite the index plan of the other side (the exact phone search).
            matches = [
                condition
                for condition in (self._word_matches(path, word) for path in paths)
                if not isinstance(condition, False_)
            ]
            if not matches:
                return []  # this word matches no text column: the text half cannot match
            per_word.append(or_(*matches))
        return [and_(*per_word)]

    def _word_matches(self, path, word: str):
        pattern = f"%{_escape_like(word)}%"
        if not isinstance(path, str):
            return cast(path, Unicode).ilike(pattern, escape="\\")
        head, _dot, rest = path.partition(".")
        attr = getattr(self.model, head)
        if not rest:
            if head == "name" and name_search.kind_of(self.model):
                return _name_token_match(self.model, word)
            return cast(attr, Unicode).ilike(pattern, escape="\\")
        related = attr.property.mapper.class_
        target = getattr(related, rest)
        if rest == "name" and name_search.kind_of(related):
            inner = _name_token_match(related, word)
        else:
            inner = cast(target, Unicode).ilike(pattern, escape="\\")
        return attr.any(inner) if attr.property.uselist else attr.has(inner)

    def _apply_search(self, query, count_query, joins, count_joins, search):
        # NUL never belongs in a search and PostgreSQL refuses it in a string: drop it.
        term = (search or "").replace("\x00", "").strip()[: self.search_max_length]
        if not term:
            return query, count_query, joins, count_joins
        conditions = self.search_conditions(term) or [false()]
        condition = or_(*conditions)
        query = query.filter(condition)
        if count_query is not None:
            count_query = count_query.filter(condition)
        return query, count_query, joins, count_joins

    def get_sortable_columns(self):
        # Sorting by ciphertext orders by random nonces: offer no sort on encrypted columns.
        return {
            name: column
            for name, column in super().get_sortable_columns().items()
            if not _is_encrypted_column(column)
        }

    def _create_ajax_loader(self, name, options):
        return encrypted_fields.create_ajax_loader(self.model, db.session, name, options)

    # --- scoping ------------------------------------------------------------------------
    def scope_query(self, query):
        """Restrict rows to what the current user may see. Default: everything."""
        return query

    def get_query(self):
        return self.scope_query(super().get_query())

    def get_count_query(self):
        # Rows to count, not a COUNT(*): views.shared.capped_count stops at the cap of this page.
        rows = self.scope_query(db.session.query(literal(1)).select_from(self.model))
        return CappedCountQuery(rows, getattr(g, "count_cap", COUNT_CAP))

    def get_one(self, id):
        try:
            pk = int(id)
        except (TypeError, ValueError):
            abort(404)
        record = self.get_query().filter(self.model.id == pk).one_or_none()
        if record is None:
            abort(404)
        return record

    def scoped_ids_query(self, ids):
        """Rows of ``ids`` within the user's scope: what every batch action must use."""
        return get_query_for_ids(self.get_query(), self.model, ids)

    # --- export -------------------------------------------------------------------------
    @property
    def export_max_rows(self) -> int:  # type: ignore[override]
        return current_app.config.get("EXPORT_MAX_ROWS", 10_000)

    def _export_csv(self, return_url):
        return exports.csv_response(self)

    def _export_tablib(self, export_type, return_url):
        if export_type != "xlsx":
            abort(404)
        return exports.xlsx_response(self)

    def get_export_columns(self):
        # Flask-Admin falls back to every column when column_export_list is unset; here the
        # fallback is the list columns, which are what the user already sees.
        if self.column_export_list is None:
            return self.get_list_columns()
        return super().get_export_columns()

    # --- errors -------------------------------------------------------------------------
    def handle_view_exception(self, exc: Exception) -> bool:
        if current_app.config.get("FLASK_ADMIN_RAISE_ON_VIEW_EXCEPTION"):
            raise exc
        if isinstance(exc, gating.GatedInlineChange):
            flash(exc.message, "error")
            return True
        if isinstance(exc, StaleDataError):
            flash(
                _("Someone else changed this record meanwhile. Reload it and try again."), "error"
            )
        elif isinstance(exc, IntegrityError):
            flash(
                _("This conflicts with another record (a duplicate, or it is still in use)."),
                "error",
            )
        elif isinstance(exc, SQLAlchemyError):
            flash(_("The database refused the change. Nothing was saved."), "error")
        else:
            flash(_("Something went wrong. Nothing was saved."), "error")
        # The exception type only: its text can carry personal data from the row.
        log.error("%s on %s.%s", type(exc).__name__, self.access_key, request.endpoint)
        return True


def _may_open(role: str | None, endpoint: str) -> bool:
    """Whether ``role`` may open ``endpoint``: a custom page of access.PAGES, or a model
    view's list, details or create page by its rights."""
    if endpoint in access.PAGES:
        return role in access.PAGES[endpoint]
    view, _dot, function = endpoint.partition(".")
    needed = {
        "index_view": access.LIST,
        "details_view": access.DETAILS,
        "create_view": access.CREATE,
    }.get(function)
    return needed is not None and access.can(role, view, needed)


def _name_token_match(model, word: str):
    # Names are found through their token index (part, pinyin, initials), never a scan. A
    # word that is a phone or ID number is not a name: no condition, so the number's own
    # index serves the search alone.
    if encrypted_fields.looks_like(word, PHONE) or encrypted_fields.looks_like(word, ID_NUMBER):
        return false()
    condition = name_search.search_condition(model, word)
    return condition if condition is not None else false()


def _is_encrypted_column(column) -> bool:
    if isinstance(column, str | tuple | list):
        return False
    if hasattr(column, "property"):
        return is_encrypted(column)
    return isinstance(getattr(column, "type", None), EncryptedString | EncryptedJSON)


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class SecurePageView(BaseView):
    """Base of every custom (non-model) page: open to the roles of its endpoint's entry in
    services/access.PAGES; anonymous users go to /login, others without the right get 403."""

    def is_accessible(self) -> bool:
        return current_user.is_authenticated and current_user.role_code in access.PAGES.get(
            f"{self.endpoint}.index", frozenset()
        )

    def _handle_view(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        allowed = access.PAGES.get(f"{self.endpoint}.{name}")
        if allowed is None or current_user.role_code not in allowed:
            abort(403)
        return None
