"""Small inline SVG charts for the planner's report (no JavaScript, no CDN, no files).

Legends stand in a band above the plot, never on it; the map names its places without
letting two names overlap and has a scale bar. Text widths are estimated (no font files are
read), generously, so that estimated boxes that do not overlap are real boxes that do not.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 60, 20, 20, 45
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
FONT_PX = 11
#: Height of one row of the legend band above the plot.
LEGEND_ROW = 18


@dataclass(frozen=True, slots=True)
class Series:
    label: str
    points: Sequence[tuple[float, float]]
    dashed: bool = False
    colour: str | None = None


def text_width(text: str, font_px: float = FONT_PX) -> float:
    """A generous estimate of the width of ``text`` in a sans-serif font of ``font_px``."""
    wide = sum(1 for c in text if c.isupper() or c in "mwMW%")
    return (len(text) * 0.58 + wide * 0.22) * font_px


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

    legend, band = _legend(series)
    frame = _Frame(x0, x1, y0, y1, band)
    parts = [_open(title, HEIGHT + band)]
    parts += _frame_svg(frame, x_label, y_label, x_format, y_format, x_ticks)
    for k, s in enumerate(series):
        parts += _series_svg(frame, k, s)
    parts += legend
    parts.append("</svg>")
    return "\n".join(parts)


def _legend(series: Sequence[Series]) -> tuple[list[str], int]:
    """The legend as rows of entries above the plot: (its SVG parts, the band's height)."""
    parts: list[str] = []
    x, row = float(LEFT), 0
    for k, s in enumerate(series):
        width = 26 + text_width(s.label) + 18
        if x + width > WIDTH - RIGHT and x > LEFT:
            x, row = float(LEFT), row + 1
        y = 10 + row * LEGEND_ROW
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        parts.append(
            f'<line x1="{x:.1f}" x2="{x + 20:.1f}" y1="{y}" y2="{y}" stroke="{_colour(k, s)}" '
            f'stroke-width="2"{dash}/>'
        )
        parts.append(_text(x + 26, y + 4, s.label))
        x += width
    return parts, (row + 1) * LEGEND_ROW if series else 0


def _colour(k: int, s: Series) -> str:
    return s.colour or COLOURS[k % len(COLOURS)]


@dataclass(frozen=True, slots=True)
class _Frame:
    """The data ranges of a chart and their mapping to pixels."""

    x0: float
    x1: float
    y0: float
    y1: float
    #: Height of the legend band above the plot.
    band: int = 0

    @property
    def top(self) -> float:
        return TOP + self.band

    @property
    def bottom(self) -> float:
        return HEIGHT + self.band - BOTTOM

    def px(self, x: float) -> float:
        return LEFT + (x - self.x0) / (self.x1 - self.x0) * (WIDTH - LEFT - RIGHT)

    def py(self, y: float) -> float:
        return self.bottom - (y - self.y0) / (self.y1 - self.y0) * (self.bottom - self.top)


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
        parts.append(_text(f.px(t), f.bottom + 16, x_format(t), anchor="middle"))
    parts.append(_axes(f))
    parts.append(_text((LEFT + WIDTH - RIGHT) / 2, f.bottom + 37, x_label, anchor="middle"))
    parts.append(_text(14, (f.top + f.bottom) / 2, y_label, anchor="middle", rotate=True))
    return parts


def _series_svg(f: _Frame, k: int, s: Series) -> list[str]:
    """One series: its line and its points (unless dashed); the legend is drawn apart."""
    colour = _colour(k, s)
    dash = ' stroke-dasharray="6 4"' if s.dashed else ""
    coords = " ".join(f"{f.px(x):.1f},{f.py(y):.1f}" for x, y in s.points)
    parts = [f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>']
    if not s.dashed:
        parts += [
            f'<circle cx="{f.px(x):.1f}" cy="{f.py(y):.1f}" r="3" fill="{colour}"/>'
            for x, y in s.points
        ]
    return parts


def _open(title: str, height: float = HEIGHT) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" role="img" '
        f'aria-label="{escape(title)}" font-family="sans-serif" font-size="{FONT_PX}" '
        'direction="ltr">'
        f"<title>{escape(title)}</title>"
    )


def _axes(f: _Frame) -> str:
    return f'<path d="M{LEFT},{f.top} V{f.bottom} H{WIDTH - RIGHT}" stroke="#333" fill="none"/>'


def _text(x: float, y: float, text: str, *, anchor: str = "start", rotate: bool = False) -> str:
    transform = f' transform="rotate(-90 {x:.1f} {y:.1f})"' if rotate else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{transform}>{escape(text)}</text>'
