"""A breakdown of the customer analysis as a horizontal bar chart in inline SVG, drawn on the
server (no script, no CDN: offices may be offline, and the strict CSP holds). The numbers
are the table printed beside it; the chart only shows them."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from services.sales.customer_analysis import Row
from views.sales.sales_chart import FONT

WIDTH = 560
LABEL_W, VALUE_W = 150, 90
TOP, BAR_H, GAP = 8, 18, 8
BAR, MISSING = "#1f77b4", "#b0b0b0"
#: Characters of a label drawn beside its bar; the full label is in the bar's tooltip and
#: in the table.
LABEL_CHARS = 10


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def bars_svg(rows: Sequence[Row], *, title: str, chart_id: str) -> Markup:
    """One bar per row, longest for the most cards; "not filled in" in grey."""
    plot_w = WIDTH - LABEL_W - VALUE_W
    top_value = max([r.count for r in rows], default=0) or 1
    height = TOP * 2 + max(len(rows), 1) * (BAR_H + GAP)
    parts: list[Markup] = [Markup("<title>{}</title>").format(title)]
    for i, row in enumerate(rows):
        y = TOP + i * (BAR_H + GAP)
        width = plot_w * row.count / top_value
        parts.append(
            Markup(
                '<text x="{lx}" y="{ty}" font-size="12" text-anchor="end">{short}</text>'
                '<rect class="bar{missing}" x="{x}" y="{y}" width="{w:.1f}" height="{h}" '
                'fill="{c}"><title>{label}: {n} ({share}%)</title></rect>'
                '<text x="{vx:.1f}" y="{ty}" font-size="12">{n} · {share}%</text>'
            ).format(
                lx=LABEL_W - 6,
                ty=y + BAR_H - 4,
                short=_short(row.label),
                missing=" bar-missing" if row.missing else "",
                x=LABEL_W,
                y=y,
                w=max(width, 1.0),
                h=BAR_H,
                c=MISSING if row.missing else BAR,
                label=row.label,
                n=row.count,
                share=row.share,
                vx=LABEL_W + width + 6,
            )
        )
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" id="{id}" class="analysis-chart" role="img" '
        'font-family="{f}" viewBox="0 0 {w} {h}" width="100%" '
        'preserveAspectRatio="xMinYMin meet">{body}</svg>'
    ).format(id=chart_id, f=FONT, w=WIDTH, h=height, body=Markup("").join(parts))
