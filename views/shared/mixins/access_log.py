"""Access logging: every look at customer data and every change is an access-log event
(services/privacy/audit.py).

Owns ``_run_view`` (after a GET of the list, details, edit page or export, one event with
the ids shown; a streamed export writes its own, before its first row), ``_log_read``, the shown ids of a list page (``get_list``, over
ListingMixin's) and ``_log_change`` (an event in the transaction of the change, called by
ChangesMixin and on delete).

Relies on: ``self.access_key`` (RightsMixin).
"""

from __future__ import annotations

from flask import g, has_request_context, request

from extensions import db
from services.privacy import audit
from views.shared.audit_context import current_actor, log_in_own_transaction

# Endpoint function name -> access-log action written after it showed customer data.
READ_EVENTS = {
    "index_view": "list",
    "details_view": "details",
    "edit_view": "details",
    "export": "export",
    # The details page's panels read after the page (views/shared/mixins/links.py): a look
    # of its own, at the record of ``?id=``.
    "details_panels_view": "details_panels",
}
#: Read events about the one record of ``?id=``.
_ONE_RECORD = ("details", "details_panels")


class AccessLogMixin:
    def _run_view(self, fn, *args, **kwargs):
        g.audit_ids = []
        g.audit_in_stream = False
        response = super()._run_view(fn, *args, **kwargs)
        action = READ_EVENTS.get(fn.__name__)
        # A streamed export writes its event itself, inside the stream and before its first
        # row (views/shared/exports.logged_batches): its ids are read there, not here.
        if action and request.method == "GET" and not g.audit_in_stream:
            self._log_read(action)
        return response

    def _log_read(self, action: str) -> None:
        term = request.args.get("search", "").strip() or None
        if action == "list" and term:
            action = "search"
        record_id = None
        if action in _ONE_RECORD:
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
        count, rows = super().get_list(
            page, sort_column, sort_desc, search, filters, execute=execute, page_size=page_size
        )
        if execute and has_request_context():
            # The rows this page shows: what _log_read records.
            g.audit_ids = [row.id for row in rows]
        return count, rows

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
