"""Search entries from a road network's places, stops and streets."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from dispatch.search.index import SearchEntry


class _Named(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def lat(self) -> float: ...
    @property
    def lon(self) -> float: ...


class _OsmNamed(_Named, Protocol):
    @property
    def osm_id(self) -> int: ...


class _Place(_OsmNamed, Protocol):
    @property
    def population(self) -> int | None: ...


def entries_from_map(
    places: Sequence[_Place],
    stops: Sequence[_OsmNamed],
    streets: Sequence[_Named],
    max_context_m: float = 5000.0,
) -> list[SearchEntry]:
    """Search entries for a road network's places, stops and streets.

    Stops and streets get the nearest place (within ``max_context_m``) as context.
    Ids follow the service's virtual stops: ``place-<osm id>``, ``osm-<osm id>``,
    ``street-<n>``.
    """
    near = _NearestPlace(places, max_context_m)
    entries = [
        SearchEntry("place", f"place-{p.osm_id}", p.name, p.lat, p.lon, "", p.population or 0)
        for p in places
    ]
    entries += [
        SearchEntry("stop", f"osm-{s.osm_id}", s.name, s.lat, s.lon, near(s.lat, s.lon))
        for s in stops
    ]
    entries += [
        SearchEntry("street", f"street-{k}", s.name, s.lat, s.lon, near(s.lat, s.lon))
        for k, s in enumerate(streets)
    ]
    return distinguishable(entries, places)


#: Entries of one kind and name closer than this are one thing (e.g. a stop's two platforms).
SAME_PLACE_M = 300.0


def distinguishable(entries: Sequence[SearchEntry], places: Sequence[_Named]) -> list[SearchEntry]:
    """Every suggestion once, and no two that read alike.

    OSM maps a bus stop once per direction (and a station once per bay), all with the same
    name: a rider would see "Schaan Bahnhof" three times and not know which to take. Entries
    of one kind and name within ``SAME_PLACE_M`` are therefore one entry (the first). Entries
    that still share kind, name and context lie apart (two hamlets called "Ziegelhütte"):
    each gets the nearest differently named place that tells it from the others as context.
    """
    kept: list[SearchEntry] = []
    by_name: dict[tuple[str, str], list[SearchEntry]] = defaultdict(list)
    for entry in entries:
        alike = by_name[(entry.kind, entry.name)]
        if not any(_within(entry, other, SAME_PLACE_M) for other in alike):
            alike.append(entry)
            kept.append(entry)
    groups: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for k, entry in enumerate(kept):
        groups[(entry.kind, entry.name, entry.context)].append(k)
    for members in groups.values():
        if len(members) > 1:
            _tell_apart(kept, members, places)
    return kept


def _within(a: SearchEntry, b: SearchEntry, metres: float) -> bool:
    return _distance_m(a.lat, a.lon, b.lat, b.lon) <= metres


def _tell_apart(entries: list[SearchEntry], members: list[int], places: Sequence[_Named]) -> None:
    used: set[str] = set()
    for k in members:
        entry = entries[k]
        others = sorted(
            (p for p in places if p.name != entry.name),
            key=lambda p: _distance_m(entry.lat, entry.lon, p.lat, p.lon),
        )
        context = next((p.name for p in others if p.name not in used), entry.context)
        used.add(context)
        entries[k] = replace(entry, context=context)


class _NearestPlace:
    """Name of the nearest place, on a coarse grid so 5,000 look-ups stay cheap."""

    CELL_DEG = 0.05  # ~5 km north-south

    def __init__(self, places: Sequence[_Named], max_m: float) -> None:
        self.max_m = max_m
        self.cells: dict[tuple[int, int], list[_Named]] = defaultdict(list)
        for place in places:
            self.cells[self._cell(place.lat, place.lon)].append(place)

    def _cell(self, lat: float, lon: float) -> tuple[int, int]:
        return math.floor(lat / self.CELL_DEG), math.floor(lon / self.CELL_DEG)

    def __call__(self, lat: float, lon: float) -> str:
        row, col = self._cell(lat, lon)
        reach = math.ceil(self.max_m / 111_000 / self.CELL_DEG / math.cos(math.radians(lat)))
        best, best_m = "", self.max_m
        for dr in range(-reach, reach + 1):
            for dc in range(-reach, reach + 1):
                for place in self.cells.get((row + dr, col + dc), ()):
                    metres = _distance_m(lat, lon, place.lat, place.lon)
                    if metres <= best_m:
                        best, best_m = place.name, metres
        return best


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Equirectangular distance: exact enough within a district."""
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return 6_371_000 * math.hypot(x, y)
