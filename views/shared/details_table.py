"""A details page's table of the record's own fields, built in one call (issue 21).

Flask-Admin's details.html loops over the view's ``_details_columns`` in Jinja: each row
costs a lazy label's translation and a template call of ``get_detail_value``. The labels
only change with the view and the language, so they are escaped once per (view, language)
and kept on the view; the values still go through the view's ``get_detail_value`` (its
formatters, choices and masking) on every request. The HTML is the template's, whitespace
and all.
"""

from __future__ import annotations

from flask_babel import get_locale
from markupsafe import Markup, escape

_TABLE_START = '\n    <table class="table table-hover table-bordered searchable">\n    '
_TABLE_END = "\n    </table>\n  "
_ROW = (
    "\n      <tr>\n        <td>\n          <b>{}</b>\n        </td>\n        <td>\n"
    "        {}\n        </td>\n      </tr>\n    "
)


def details_labels(view) -> list[tuple[str, Markup]]:
    """The view's details columns with their labels escaped in the current language, kept
    per (view, language): the columns are set when the view is made."""
    kept = view.__dict__.setdefault("_details_labels_by_language", {})
    language = str(get_locale())
    labels = kept.get(language)
    if labels is None:
        labels = kept[language] = [
            (column, escape(label)) for column, label in view._details_columns
        ]
    return labels


def render_details_table(view, context, model) -> Markup:
    """details.html's ``details_table`` block for ``model``: each value escaped as Jinja
    escapes it (str.format on escaped text: Markup.format costs more than the row)."""
    value = view.get_detail_value
    rows = "".join(
        _ROW.format(label, escape(value(context, model, column)))
        for column, label in details_labels(view)
    )
    return Markup(_TABLE_START + rows + _TABLE_END)  # noqa: S704 - labels and values escaped
