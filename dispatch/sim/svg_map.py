"""The report's map: the road network, requests as lines from origin to destination,
the map's places named without two names overlapping, and a scale bar (inline SVG)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from dispatch.sim.svg import WIDTH, text_width

MARGIN = 10
MAX_HEIGHT = 600.0
#: Where a name may stand around its place, in order of preference.
SPOTS = ((1, 0), (-1, 0), (0, -1), (0, 1), (1, -1), (-1, -1), (1, 1), (-1, 1))
RANK = {"city": 0, "town": 0, "village": 1, "suburb": 1, "hamlet": 2, "isolated_dwelling": 3}
LENGTHS_M = (100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000)
TRIP_COLOUR = "#c0181f"
ROAD_COLOUR = "#b3b3b3"


@dataclass(frozen=True, slots=True)
class MapPlace:
    name: str
    lat: float
    lon: float
    kind: str = "village"
    population: int = 0


@dataclass(frozen=True, slots=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    def overlaps(self, o: Box) -> bool:
        return (
            self.x < o.x + o.w
            and o.x < self.x + self.w
            and self.y < o.y + o.h
            and o.y < self.y + self.h
        )


class _Projection:
    """Longitude and latitude to SVG pixels, north up, true to scale at the map's latitude."""

    def __init__(self, roads: Sequence[tuple[float, float, float, float]]) -> None:
        lats = [v for r in roads for v in (r[0], r[2])] or [0.0, 1.0]
        lons = [v for r in roads for v in (r[1], r[3])] or [0.0, 1.0]
        self.lat1, self.lon0 = max(lats), min(lons)
        self.aspect = math.cos(math.radians((min(lats) + max(lats)) / 2))
        span_x = max(1e-9, (max(lons) - self.lon0) * self.aspect)
        span_y = max(1e-9, self.lat1 - min(lats))
        width = WIDTH - 2 * MARGIN
        self.height = min(MAX_HEIGHT, width * span_y / span_x) + 2 * MARGIN
        self.scale = min(width / span_x, (self.height - 2 * MARGIN) / span_y)

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        return MARGIN + (lon - self.lon0) * self.aspect * self.scale, MARGIN + (
            self.lat1 - lat
        ) * self.scale

    @property
    def metres_per_px(self) -> float:
        return 111_320 / self.scale


def map_chart(
    roads: Sequence[tuple[float, float, float, float]],
    trips: Sequence[tuple[float, float, float, float]],
    *,
    places: Sequence[MapPlace] = (),
    title: str = "",
) -> str:
    """Roads in grey, each trip a red line from a red dot (origin) to a ring (destination)."""
    p = _Projection(roads)
    road_path = " ".join(f"M{_pt(p.xy(a, b))}L{_pt(p.xy(c, d))}" for a, b, c, d in roads)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {p.height:.0f}" '
        f'role="img" aria-label="{escape(title)}" font-family="sans-serif" font-size="11" '
        'direction="ltr">',
        f"<title>{escape(title)}</title>",
        f'<path d="{road_path}" stroke="{ROAD_COLOUR}" stroke-width="1" fill="none"/>',
    ]
    taken: list[Box] = []
    parts += _trips(p, trips, taken)
    scale_svg, scale_box = _scale_bar(p)
    taken.append(scale_box)
    parts += _place_names(p, places, taken)
    parts += scale_svg
    parts.append("</svg>")
    return "\n".join(parts)


def _pt(xy: tuple[float, float]) -> str:
    return f"{xy[0]:.1f},{xy[1]:.1f}"


def _trips(
    p: _Projection, trips: Sequence[tuple[float, float, float, float]], taken: list[Box]
) -> list[str]:
    parts = []
    for a, b, c, d in trips:
        (x0, y0), (x1, y1) = p.xy(a, b), p.xy(c, d)
        parts.append(
            f'<line x1="{x0:.1f}" y1="{y0:.1f}" x2="{x1:.1f}" y2="{y1:.1f}" '
            f'stroke="{TRIP_COLOUR}" stroke-opacity="0.45" stroke-width="1.5"/>'
        )
        parts.append(f'<circle cx="{x0:.1f}" cy="{y0:.1f}" r="3.5" fill="{TRIP_COLOUR}"/>')
        parts.append(
            f'<circle cx="{x1:.1f}" cy="{y1:.1f}" r="3" fill="#fff" stroke="{TRIP_COLOUR}" '
            'stroke-width="1.5"/>'
        )
        taken += [Box(x0 - 4, y0 - 4, 8, 8), Box(x1 - 4, y1 - 4, 8, 8)]
    return parts


def _place_names(p: _Projection, places: Sequence[MapPlace], taken: list[Box]) -> list[str]:
    """Towns before villages before hamlets, larger first; a name that fits nowhere is left out."""
    ordered = sorted(places, key=lambda q: (RANK.get(q.kind, 2), -q.population, q.name))
    parts = []
    for place in ordered:
        big = RANK.get(place.kind, 2) <= 1
        font = 12.0 if big else 10.0
        x, y = p.xy(place.lat, place.lon)
        box = _free_spot(x, y, text_width(place.name, font) + 4, font * 1.3, p.height, taken)
        if box is None:
            continue
        taken.append(box)
        weight = ' font-weight="600"' if big else ""
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{2.5 if big else 1.5}" fill="#333"/>')
        parts.append(
            f'<text x="{box.x + 2:.1f}" y="{box.y + font:.1f}" font-size="{font:g}"{weight} '
            f'fill="#222" stroke="#fff" stroke-width="3" paint-order="stroke">'
            f"{escape(place.name)}</text>"
        )
    return parts


def _free_spot(
    x: float, y: float, w: float, h: float, height: float, taken: list[Box]
) -> Box | None:
    for dx, dy in SPOTS:
        left = x + 4 if dx > 0 else x - 4 - w if dx < 0 else x - w / 2
        top = y + 3 if dy > 0 else y - 3 - h if dy < 0 else y - h / 2
        box = Box(left, top, w, h)
        inside = box.x >= 0 and box.y >= 0 and box.x + w <= WIDTH and box.y + h <= height
        if inside and not any(box.overlaps(o) for o in taken):
            return box
    return None


def _scale_bar(p: _Projection) -> tuple[list[str], Box]:
    """A bar of a round length (at most a fifth of the map's width), bottom left."""
    metres = max([m for m in LENGTHS_M if m / p.metres_per_px <= WIDTH / 5] or [LENGTHS_M[0]])
    px = metres / p.metres_per_px
    x, y = MARGIN + 4, p.height - MARGIN - 4
    label = f"{metres // 1000} km" if metres >= 1000 else f"{metres} m"
    parts = [
        f'<rect x="{x - 4}" y="{y - 20:.1f}" width="{px + 8:.1f}" height="24" fill="#fff" '
        'fill-opacity="0.85"/>',
        f'<path d="M{x},{y - 6:.1f} V{y:.1f} H{x + px:.1f} V{y - 6:.1f}" stroke="#000" '
        'stroke-width="2" fill="none"/>',
        f'<text x="{x}" y="{y - 9:.1f}" font-weight="600">{label}</text>',
    ]
    return parts, Box(x - 6, y - 22, px + 12, 28)
