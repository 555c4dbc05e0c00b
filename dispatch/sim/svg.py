"""Small inline SVG charts for the planner's report (no JavaScript, no CDN, no files)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 60, 20, 20, 45
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


@dataclass(frozen=True, slots=True)
class Series:
    label: str
    points: Sequence[tuple[float, float]]
    dashed: bool = False


def _ticks(low: float, high: float, n: int = 5) -> list[float]:
    if high <= low:
        return [low]
    raw = (high - low) / n
    magnitude = 10 ** math.floor(math.log10(raw))
    step = min((m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw), default=raw)
    first = math.ceil(low / step) * step
    return [first + k * step for k in range(int((high - first) / step + 1e-9) + 1)]


def line_chart(
    series: Sequence[Series],
    *,
    x_label: str,
    y_label: str,
    x_format: Callable[[float], str] = lambda x: f"{x:g}",
    y_format: Callable[[float], str] = lambda y: f"{y:g}",
    y_min: float | None = None,
    y_max: float | None = None,
    x_ticks: Sequence[float] | None = None,
    title: str = "",
) -> str:
    """A line chart with axes, ticks and a legend; points are (x, y)."""
    xs = [x for s in series for x, _ in s.points] or [0.0, 1.0]
    ys = [y for s in series for _, y in s.points] or [0.0, 1.0]
    x0, x1 = min(xs), max(xs)
    y0 = min(ys) if y_min is None else y_min
    y1 = max(ys) if y_max is None else y_max
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1
    if y1 <= y0:
        y1 = y0 + 1

    frame = _Frame(x0, x1, y0, y1)
    parts = [_open(title)]
    parts += _frame_svg(frame, x_label, y_label, x_format, y_format, x_ticks)
    for k, s in enumerate(series):
        parts += _series_svg(frame, k, s)
    parts.append("</svg>")
    return "\n".join(parts)


@dataclass(frozen=True, slots=True)
class _Frame:
    """The data ranges of a chart and their mapping to pixels."""

    x0: float
    x1: float
    y0: float
    y1: float

    def px(self, x: float) -> float:
        return LEFT + (x - self.x0) / (self.x1 - self.x0) * (WIDTH - LEFT - RIGHT)

    def py(self, y: float) -> float:
        return HEIGHT - BOTTOM - (y - self.y0) / (self.y1 - self.y0) * (HEIGHT - TOP - BOTTOM)


def _frame_svg(
    f: _Frame,
    x_label: str,
    y_label: str,
    x_format: Callable[[float], str],
    y_format: Callable[[float], str],
    x_ticks: Sequence[float] | None,
) -> list[str]:
    """Grid lines, tick labels, axes and axis labels."""
    parts = []
    for t in _ticks(f.y0, f.y1):
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{f.py(t):.1f}" y2="{f.py(t):.1f}" '
            'stroke="#ddd"/>'
        )
        parts.append(_text(LEFT - 6, f.py(t) + 4, y_format(t), anchor="end"))
    for t in x_ticks if x_ticks is not None else _ticks(f.x0, f.x1, 8):
        parts.append(_text(f.px(t), HEIGHT - BOTTOM + 16, x_format(t), anchor="middle"))
    parts.append(_axes())
    parts.append(_text((LEFT + WIDTH - RIGHT) / 2, HEIGHT - 8, x_label, anchor="middle"))
    parts.append(_text(14, (TOP + HEIGHT - BOTTOM) / 2, y_label, anchor="middle", rotate=True))
    return parts


def _series_svg(f: _Frame, k: int, s: Series) -> list[str]:
    """One series: its line, its points (unless dashed) and its legend entry."""
    colour = COLOURS[k % len(COLOURS)]
    dash = ' stroke-dasharray="6 4"' if s.dashed else ""
    coords = " ".join(f"{f.px(x):.1f},{f.py(y):.1f}" for x, y in s.points)
    parts = [f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>']
    if not s.dashed:
        parts += [
            f'<circle cx="{f.px(x):.1f}" cy="{f.py(y):.1f}" r="3" fill="{colour}"/>'
            for x, y in s.points
        ]
    ly = TOP + 14 * k + 4
    parts.append(
        f'<line x1="{WIDTH - 190}" x2="{WIDTH - 170}" y1="{ly}" y2="{ly}" '
        f'stroke="{colour}" stroke-width="2"{dash}/>'
    )
    parts.append(_text(WIDTH - 165, ly + 4, s.label))
    return parts


def map_chart(
    roads: Sequence[tuple[float, float, float, float]],
    trips: Sequence[tuple[float, float, float, float]],
    *,
    title: str = "",
) -> str:
    """The road network in grey; each trip as a line from a red origin to its destination."""
    lats = [v for r in roads for v in (r[0], r[2])] or [0.0, 1.0]
    lons = [v for r in roads for v in (r[1], r[3])] or [0.0, 1.0]
    lat0, lat1, lon0, lon1 = min(lats), max(lats), min(lons), max(lons)
    aspect = math.cos(math.radians((lat0 + lat1) / 2))
    span_x = max(1e-9, (lon1 - lon0) * aspect)
    span_y = max(1e-9, lat1 - lat0)
    width = WIDTH - 20
    height = min(600.0, width * span_y / span_x)
    scale = min(width / span_x, height / span_y)

    def pt(lat: float, lon: float) -> str:
        return f"{10 + (lon - lon0) * aspect * scale:.1f},{10 + (lat1 - lat) * scale:.1f}"

    road_path = " ".join(f"M{pt(a, b)}L{pt(c, d)}" for a, b, c, d in roads)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height + 20:.0f}" '
        f'role="img" aria-label="{escape(title)}" font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<path d="{road_path}" stroke="#bbb" stroke-width="1" fill="none"/>',
    ]
    for a, b, c, d in trips:
        parts.append(
            f'<line x1="{pt(a, b).split(",")[0]}" y1="{pt(a, b).split(",")[1]}" '
            f'x2="{pt(c, d).split(",")[0]}" y2="{pt(c, d).split(",")[1]}" '
            'stroke="#d62728" stroke-opacity="0.35"/>'
        )
        x, y = pt(a, b).split(",")
        parts.append(f'<circle cx="{x}" cy="{y}" r="3" fill="#d62728"/>')
    parts.append("</svg>")
    return "\n".join(parts)


def _open(title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" font-family="sans-serif" font-size="11">'
        f"<title>{escape(title)}</title>"
    )


def _axes() -> str:
    return (
        f'<path d="M{LEFT},{TOP} V{HEIGHT - BOTTOM} H{WIDTH - RIGHT}" stroke="#333" fill="none"/>'
    )


def _text(x: float, y: float, text: str, *, anchor: str = "start", rotate: bool = False) -> str:
    transform = f' transform="rotate(-90 {x:.1f} {y:.1f})"' if rotate else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{transform}>{escape(text)}</text>'
