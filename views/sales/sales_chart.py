"""The weekly B/C trend as an inline SVG line chart, drawn on the server (no script, no
CDN: offices may be offline). The numbers are also given as a table on the page."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from services.sales.weekly_count import TrendPoint

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 16, 40
SERIES = (("b", "#1f77b4"), ("c", "#ff7f0e"))
#: Chinese-capable fonts first, so labels read in Chinese (Noto Sans CJK ships with Debian).
FONT = "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'Microsoft YaHei', sans-serif"


def _nice_max(value: int) -> int:
    """The top of the value axis: five gridline steps of 1, 2 or 5 times a power of ten."""
    magnitude = 1
    while True:
        for step in (magnitude, 2 * magnitude, 5 * magnitude):
            if step * 5 >= value:
                return step * 5
        magnitude *= 10


def trend_svg(points: Sequence[TrendPoint], *, title: str, labels: dict[str, str]) -> Markup:
    """A line per grade (B, C) over the weeks, with axes, gridlines and a legend."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top_value = _nice_max(max([max(p.b, p.c) for p in points], default=0))

    def x(i: int) -> float:
        return LEFT + (plot_w * i / (len(points) - 1) if len(points) > 1 else plot_w / 2)

    def y(v: int) -> float:
        return TOP + plot_h - plot_h * v / top_value

    parts: list[Markup] = [Markup("<title>{}</title>").format(title)]
    for k in range(6):
        value = round(top_value * k / 5)
        parts.append(
            Markup(
                '<line x1="{l}" x2="{r}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                '<text x="{tx}" y="{ty:.1f}" font-size="11" text-anchor="end">{v}</text>'
            ).format(l=LEFT, r=WIDTH - RIGHT, y=y(value), tx=LEFT - 6, ty=y(value) + 4, v=value)
        )
    for i, point in enumerate(points):
        parts.append(
            Markup(
                '<text x="{x:.1f}" y="{y}" font-size="11" text-anchor="middle">{label}</text>'
            ).format(x=x(i), y=HEIGHT - BOTTOM + 16, label=point.week_ending.strftime("%m-%d"))
        )
    for key, colour in SERIES:
        coords = " ".join(f"{x(i):.1f},{y(getattr(p, key)):.1f}" for i, p in enumerate(points))
        if len(points) > 1:
            parts.append(
                Markup(
                    '<polyline class="series-{k}" fill="none" stroke="{c}" stroke-width="2" '
                    'points="{p}"/>'
                ).format(k=key, c=colour, p=coords)
            )
        for i, p in enumerate(points):
            value = getattr(p, key)
            parts.append(
                Markup(
                    '<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{c}">'
                    "<title>{week} {name}: {v}</title></circle>"
                ).format(
                    x=x(i),
                    y=y(value),
                    c=colour,
                    week=p.week_ending.isoformat(),
                    name=labels[key],
                    v=value,
                )
            )
    for n, (key, colour) in enumerate(SERIES):
        lx = LEFT + 10 + n * 120
        parts.append(
            Markup(
                '<rect x="{x}" y="{y}" width="12" height="12" fill="{c}"/>'
                '<text x="{tx}" y="{ty}" font-size="12">{name}</text>'
            ).format(x=lx, y=HEIGHT - 16, c=colour, tx=lx + 16, ty=HEIGHT - 6, name=labels[key])
        )
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" id="weekly-chart" role="img" font-family="{f}" '
        'viewBox="0 0 {w} {h}" width="100%" preserveAspectRatio="xMinYMin meet">{body}</svg>'
    ).format(f=FONT, w=WIDTH, h=HEIGHT, body=Markup("").join(parts))
