"""Server-side SVG charts of the home pages (no script, no CDN: offices may be offline).
Text uses a Chinese-capable font stack; every chart's numbers are also shown as a table."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from views.sales.sales_chart import FONT, _nice_max

ENTERED, REPORTED = "#1f77b4", "#ff7f0e"


def day_cards_svg(rows: Sequence, *, title: str, labels: dict[str, str]) -> Markup:
    """Grouped bars per consultant: receptions entered and the count reported that evening."""
    width, left, right, top, bottom = 640, 40, 10, 16, 64
    height = 260
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max([max(r.entered, r.reported or 0) for r in rows], default=0))
    slot = plot_w / max(len(rows), 1)
    bar = min(28.0, slot / 3)

    def y(v: int) -> float:
        return top + plot_h - plot_h * v / top_value

    parts: list[Markup] = [Markup("<title>{}</title>").format(title)]
    for k in range(6):
        value = round(top_value * k / 5)
        parts.append(
            Markup(
                '<line x1="{l}" x2="{r}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                '<text x="{tx}" y="{ty:.1f}" font-size="11" text-anchor="end">{v}</text>'
            ).format(l=left, r=width - right, y=y(value), tx=left - 6, ty=y(value) + 4, v=value)
        )
    for i, row in enumerate(rows):
        x0 = left + slot * i + slot / 2 - bar
        for j, (value, colour, key) in enumerate(
            ((row.entered, ENTERED, "entered"), (row.reported, REPORTED, "reported"))
        ):
            if value is None:
                continue
            parts.append(
                Markup(
                    '<rect class="bar-{k}" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
                    'fill="{c}"><title>{name} {label}: {v}</title></rect>'
                ).format(
                    k=key,
                    x=x0 + j * bar,
                    y=y(value),
                    w=bar - 2,
                    h=top + plot_h - y(value),
                    c=colour,
                    name=row.name,
                    label=labels[key],
                    v=value,
                )
            )
        parts.append(
            Markup(
                '<text x="{x:.1f}" y="{y}" font-size="12" text-anchor="middle">{name}</text>'
            ).format(x=left + slot * i + slot / 2, y=top + plot_h + 16, name=row.name)
        )
    for n, (key, colour) in enumerate((("entered", ENTERED), ("reported", REPORTED))):
        lx = left + 10 + n * 160
        parts.append(
            Markup(
                '<rect x="{x}" y="{y}" width="12" height="12" fill="{c}"/>'
                '<text x="{tx}" y="{ty}" font-size="12">{name}</text>'
            ).format(x=lx, y=height - 18, c=colour, tx=lx + 16, ty=height - 8, name=labels[key])
        )
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" id="day-cards-chart" role="img" '
        'font-family="{f}" viewBox="0 0 {w} {h}" width="100%" '
        'preserveAspectRatio="xMinYMin meet">{body}</svg>'
    ).format(f=FONT, w=width, h=height, body=Markup("").join(parts))
