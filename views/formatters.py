"""Column formatters. HTML is built with Markup.format / escape, which escapes every value."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup, escape


def child_table(attribute: str, columns: Sequence[tuple[str, object]]) -> Callable[..., Markup]:
    """A details-page formatter that shows a child collection as a small table.

    ``columns`` are (attribute, label) pairs; labels may be lazy strings.
    """

    def formatter(view, context, model, name) -> Markup:
        rows = getattr(model, attribute) or []
        if not rows:
            return Markup("")
        head = Markup("").join(Markup("<th>{}</th>").format(label) for _, label in columns)
        body = Markup("").join(
            Markup("<tr>{}</tr>").format(
                Markup("").join(
                    Markup("<td>{}</td>").format(_display(getattr(row, key))) for key, _ in columns
                )
            )
            for row in rows
        )
        return Markup(
            '<table class="table table-sm table-bordered mb-0"><thead><tr>{}</tr></thead>'
            "<tbody>{}</tbody></table>"
        ).format(head, body)

    return formatter


def _display(value) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "✓" if value else ""
    return escape(str(value))
