"""Read an OSM file (XML, gzip/bzip2 XML or PBF) in one streaming pass with pyosmium.

Only what the dispatcher needs is kept: the ways a bus may drive (node ids and
coordinates, speed, direction), named places, bus stops and street names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import osmium

from dispatch.errors import CorruptSourceError, SourceNotFoundError
from dispatch.roads.profile import RoadProfile, bus_may_use, oneway_direction

PLACE_KINDS = frozenset(
    {"city", "town", "village", "hamlet", "suburb", "isolated_dwelling", "locality"}
)
SUFFIXES = (".osm", ".osm.gz", ".osm.bz2", ".osm.pbf", ".pbf", ".xml", ".xml.gz")


@dataclass(frozen=True, slots=True)
class RawWay:
    nodes: tuple[int, ...]
    speed_kmh: float
    direction: int
    name: str


@dataclass(frozen=True, slots=True)
class NamedPoint:
    """A named place or bus stop read from OSM."""

    osm_id: int
    name: str
    kind: str
    lat: float
    lon: float
    population: int | None = None


class Street(NamedTuple):
    """A street name with one representative point on it (for address search)."""

    name: str
    lat: float
    lon: float


@dataclass
class RawNetwork:
    ways: list[RawWay] = field(default_factory=list)
    coords: dict[int, tuple[float, float]] = field(default_factory=dict)
    places: list[NamedPoint] = field(default_factory=list)
    stops: list[NamedPoint] = field(default_factory=list)


class _Handler(osmium.SimpleHandler):
    def __init__(self, profile: RoadProfile) -> None:
        super().__init__()
        self.profile = profile
        self.raw = RawNetwork()

    def node(self, n: osmium.osm.Node) -> None:
        tags = n.tags
        if "place" not in tags and "highway" not in tags and "public_transport" not in tags:
            return
        name = tags.get("name")
        if not name or not n.location.valid():
            return
        lat, lon = n.location.lat, n.location.lon
        place = tags.get("place")
        if place in PLACE_KINDS:
            self.raw.places.append(
                NamedPoint(n.id, name, place, lat, lon, _population(tags.get("population")))
            )
        if tags.get("highway") == "bus_stop" or tags.get("public_transport") == "platform":
            self.raw.stops.append(NamedPoint(n.id, name, "bus_stop", lat, lon))

    def way(self, w: osmium.osm.Way) -> None:
        tags = {t.k: t.v for t in w.tags}
        highway = tags.get("highway")
        if highway is None or tags.get("area") == "yes":
            return
        if not self.profile.highway_allowed(highway, tags) or not bus_may_use(tags):
            return
        nodes: list[int] = []
        for ref in w.nodes:
            if not ref.location.valid():
                continue
            nodes.append(ref.ref)
            self.raw.coords[ref.ref] = (ref.location.lat, ref.location.lon)
        if len(nodes) < 2:
            return
        speed = self.profile.speed_kmh(highway, tags.get("maxspeed"))
        self.raw.ways.append(
            RawWay(tuple(nodes), speed, oneway_direction(tags), tags.get("name", ""))
        )


def _population(text: str | None) -> int | None:
    if not text:
        return None
    digits = text.replace(".", "").replace(",", "").replace(" ", "")
    return int(digits) if digits.isdigit() else None


def check_source_path(path: Path) -> None:
    if not path.exists():
        raise SourceNotFoundError(f"OSM file not found: {path}")
    if not path.is_file():
        raise SourceNotFoundError(f"OSM source is not a file: {path}")
    try:
        with path.open("rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise SourceNotFoundError(f"cannot read OSM file {path}: {exc.strerror}") from None
    if not path.name.lower().endswith(SUFFIXES):
        raise CorruptSourceError(
            f"{path.name}: not an OSM file (expected .osm, .osm.gz, .osm.bz2 or .osm.pbf)"
        )


def read_osm_file(path: Path, profile: RoadProfile) -> RawNetwork:
    """Parse ``path``; a damaged or non-OSM file raises :class:`CorruptSourceError`."""
    check_source_path(path)
    handler = _Handler(profile)
    try:
        handler.apply_file(str(path), locations=True)
    except (RuntimeError, ValueError, OSError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CorruptSourceError(
            f"{path.name}: cannot be read as OpenStreetMap data ({reason})"
        ) from None
    return handler.raw
