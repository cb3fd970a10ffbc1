"""A small line chart as hand-written SVG (no plotting library in the venv): seconds against record count."""

from html import escape

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")


def _ticks(top: float, count: int = 5) -> list[float]:
    step = top / count
    return [round(step * i, 6) for i in range(count + 1)]


def line_chart(
    series: dict[str, list[tuple[float, float]]],
    title: str,
    x_label: str,
    y_label: str,
    width: int = 640,
    height: int = 400,
) -> str:
    """An SVG document with one polyline and labelled points per series of (x, y) pairs."""
    left, right, top, bottom = 70, 170, 40, 50
    points = [point for values in series.values() for point in values]
    x_max = max((x for x, _ in points), default=1) or 1
    y_max = (max((y for _, y in points), default=1) or 1) * 1.1

    def sx(x: float) -> float:
        return left + (width - left - right) * x / x_max

    def sy(y: float) -> float:
        return height - bottom - (height - top - bottom) * y / y_max

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14">{escape(title)}</text>',
        f'<line x1="{left}" y1="{sy(0)}" x2="{width - right}" y2="{sy(0)}" stroke="black"/>',
        f'<line x1="{left}" y1="{sy(0)}" x2="{left}" y2="{top}" stroke="black"/>',
        f'<text x="{(left + width - right) / 2}" y="{height - 10}" text-anchor="middle">{escape(x_label)}</text>',
        f'<text x="15" y="{(top + height - bottom) / 2}" text-anchor="middle" '
        f'transform="rotate(-90 15 {(top + height - bottom) / 2})">{escape(y_label)}</text>',
    ]
    for tick in _ticks(y_max):
        parts.append(
            f'<line x1="{left - 4}" y1="{sy(tick):.1f}" x2="{width - right}" y2="{sy(tick):.1f}" stroke="#ddd"/>'
        )
        parts.append(f'<text x="{left - 6}" y="{sy(tick) + 4:.1f}" text-anchor="end">{tick:.0f}</text>')
    for tick in sorted({x for x, _ in points}):
        parts.append(f'<text x="{sx(tick):.1f}" y="{sy(0) + 16:.1f}" text-anchor="middle">{tick:,.0f}</text>')
    for number, (name, values) in enumerate(series.items()):
        color = COLORS[number % len(COLORS)]
        coords = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in sorted(values))
        parts.append(f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="2"/>')
        parts += [f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="{color}"/>' for x, y in values]
        legend_y = top + 18 * number
        parts.append(f'<rect x="{width - right + 10}" y="{legend_y}" width="12" height="12" fill="{color}"/>')
        parts.append(f'<text x="{width - right + 28}" y="{legend_y + 10}">{escape(name)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
