"""Column formatters. HTML is built with Markup.format / escape, which escapes every value."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from flask_admin.model import typefmt
from flask_babel import gettext as _
from markupsafe import Markup, escape

from core import masking
from core.clock import office_time


def yes_no(view, value, name) -> str:
    """A boolean as people say it (是/否), never True/False."""
    return _("Yes") if value else _("No")


def _yes_no_icon(view, value, name) -> Markup:
    # Lists keep Flask-Admin's icons; their tooltip reads 是/否 instead of "active: true".
    icon = "fa-check-circle" if value else "fa-minus-circle"
    return Markup('<span class="fa {}" title="{}"></span>').format(icon, yes_no(view, value, name))


def _moment(view, value, name) -> str:
    # Stored naive UTC: shown in the office's zone, to the minute (core.clock.office_time).
    return office_time(value)


#: Type formatters for SecureModelView (column_type_formatters, _detail, _export): booleans by
#: their label on lists, details pages and exports; moments in office time on pages.
LIST_TYPE_FORMATTERS = {**typefmt.BASE_FORMATTERS, bool: _yes_no_icon, datetime: _moment}
DETAIL_TYPE_FORMATTERS = {**typefmt.DETAIL_FORMATTERS, bool: yes_no, datetime: _moment}
EXPORT_TYPE_FORMATTERS = {**typefmt.EXPORT_FORMATTERS, bool: yes_no}


def child_table(
    attribute: str,
    columns: Sequence[tuple[str, object]],
    choices: dict[str, Sequence[tuple[str, object]]] | None = None,
) -> Callable[..., Markup]:
    """A details-page formatter that shows a child collection as a small table.

    ``columns`` are (attribute, label) pairs; labels may be lazy strings. ``choices`` maps a
    column to its (code, label) pairs, so a code such as a status shows as its label.
    """
    shown_as = {key: dict(pairs) for key, pairs in (choices or {}).items()}

    def formatter(view, context, model, name) -> Markup:
        rows = getattr(model, attribute) or []
        if not rows:
            return Markup("")
        head = Markup("").join(Markup("<th>{}</th>").format(label) for _, label in columns)
        body = Markup("").join(
            Markup("<tr>{}</tr>").format(
                Markup("").join(
                    Markup("<td>{}</td>").format(
                        _display(_shown(view, key, _coded(shown_as, key, getattr(row, key))))
                    )
                    for key, _ in columns
                )
            )
            for row in rows
        )
        return Markup(
            '<table class="table table-sm table-bordered mb-0"><thead><tr>{}</tr></thead>'
            "<tbody>{}</tbody></table>"
        ).format(head, body)

    # Tells the details page to offer its "show full numbers" button for these rows too.
    formatter.masked = any(masking.kind_of(key) for key, _ in columns)
    return formatter


def _coded(shown_as: dict[str, dict], key: str, value):
    labels = shown_as.get(key)
    return labels.get(value, value) if labels and isinstance(value, str) else value


def _shown(view, key: str, value):
    # Child rows carry numbers too: masked unless the page is a deliberate reveal.
    return value if getattr(view, "revealing", False) else masking.mask(key, value)


def _display(value) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "✓" if value else ""
    return escape(str(value))
