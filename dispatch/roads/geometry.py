"""Route geometry: the path between two road nodes and its polyline, in one encoding.

Plans sent to drivers, the dispatcher's map and the demo's buses all use Google's
encoded polyline format (precision 5) through :func:`encode_polyline` and
:func:`decode_polyline`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RoutePath:
    """The fastest path between two nodes, with its polyline ``[(lat, lon), ...]``."""

    nodes: tuple[int, ...]
    polyline: tuple[tuple[float, float], ...]
    travel_s: int
    distance_m: int


def encode_polyline(points: Sequence[tuple[float, float]], precision: int = 5) -> str:
    """Google's encoded polyline format: compact, and every map library reads it."""
    factor = 10**precision
    out: list[str] = []
    last_lat = last_lon = 0
    for lat, lon in points:
        ilat, ilon = round(lat * factor), round(lon * factor)
        for delta in (ilat - last_lat, ilon - last_lon):
            _encode_value(delta, out)
        last_lat, last_lon = ilat, ilon
    return "".join(out)


def _encode_value(value: int, out: list[str]) -> None:
    value = ~(value << 1) if value < 0 else value << 1
    while value >= 0x20:
        out.append(chr((0x20 | (value & 0x1F)) + 63))
        value >>= 5
    out.append(chr(value + 63))


def decode_polyline(text: str, precision: int = 5) -> list[tuple[float, float]]:
    """The inverse of :func:`encode_polyline`."""
    factor = 10**precision
    values: list[int] = []
    shift = result = 0
    for char in text:
        b = ord(char) - 63
        result |= (b & 0x1F) << shift
        shift += 5
        if b < 0x20:
            values.append(~(result >> 1) if result & 1 else result >> 1)
            shift = result = 0
    points: list[tuple[float, float]] = []
    lat = lon = 0
    for k in range(0, len(values) - 1, 2):
        lat += values[k]
        lon += values[k + 1]
        points.append((lat / factor, lon / factor))
    return points
