"""Exporting: the export endpoint's limits and writers (views/shared/exports.py).

Owns ``export_max_rows`` (``EXPORT_MAX_ROWS``), the CSV and XLSX writers (any other type is
a 404) and ``get_export_columns`` (the list columns when a view declares none, never "every
column"). Every cell is masked by core/masking.export_cell's rules (views/shared/exports.py:
by column on the fast path, by cell on the per-row one).

Relies on: nothing of the other mixins; RightsMixin._handle_view refuses an export without
columns.
"""

from __future__ import annotations

from flask import abort, current_app

from views.shared import exports


class ExportingMixin:
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
