"""A plausible synthetic rural service day, made from the places of the OSM extract.

Rural demand is commuter-shaped: in the morning people ride from the villages and
hamlets towards the larger places and the railway stations, in the afternoon back
home, and in between (and in the evening) between any two places. Places are weighted
by their population, or by their kind (village, hamlet, …) where OSM has no
population. Everything depends on the seed alone, so a synthetic day is reproducible.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Protocol

from dispatch.errors import InputError, SnapError
from dispatch.roads.osm_file import NamedPoint
from dispatch.sim.demand import DemandRequest, Place

#: Residents assumed where OSM gives a place no population.
KIND_WEIGHT = {
    "city": 20_000,
    "town": 5_000,
    "suburb": 2_000,
    "village": 400,
    "hamlet": 60,
    "isolated_dwelling": 10,
}
STATION_WORDS = ("bahnhof", "bhf", "station", "zob")
#: A station attracts riders like a place of this many residents.
STATION_WEIGHT = 3_000
#: Door-to-door addresses are scattered this far around the place's centre.
SCATTER_M = 250
MIN_TRIP_M = 800


class PlaceSource(Protocol):
    """What the synthesiser needs from the road network."""

    @property
    def places(self) -> tuple[NamedPoint, ...]: ...

    @property
    def stops(self) -> tuple[NamedPoint, ...]: ...

    def snap(self, lat: float, lon: float) -> object: ...


@dataclass(frozen=True, slots=True)
class SynthParams:
    """The shape of the synthetic day (local clock times, shares between 0 and 1)."""

    requests: int
    day: date
    seed: int = 0
    start: time = time(6, 0)
    end: time = time(22, 0)
    morning_share: float = 0.35
    afternoon_share: float = 0.35
    arrive_by_share: float = 0.25
    prebooked_share: float = 0.3
    wheelchair_share: float = 0.05
    max_lead_h: float = 48.0

    def __post_init__(self) -> None:
        if self.requests < 0:
            raise InputError("the number of requests must not be negative")
        if self.end <= self.start:
            raise InputError("the service day must end after it starts")
        shares = (self.arrive_by_share, self.prebooked_share, self.wheelchair_share)
        if any(not 0.0 <= s <= 1.0 for s in (*shares, self.morning_share, self.afternoon_share)):
            raise InputError("shares must lie between 0 and 1")
        if self.morning_share + self.afternoon_share > 1.0:
            raise InputError("morning and afternoon shares add up to more than 1")


@dataclass(frozen=True, slots=True)
class Zone:
    """A place (or station) where trips start and end."""

    name: str
    lat: float
    lon: float
    weight: float
    stop_id: str | None = None


@dataclass(frozen=True, slots=True)
class Zones:
    """Where trips start and end; places a bus cannot reach are left out (and named)."""

    homes: list[Zone]
    attractors: list[Zone]
    skipped: list[str]


def zones(source: PlaceSource) -> Zones:
    """Every place near a road as a home zone; the larger places and stations attract.

    A place more than the snapping distance from any drivable road (a mountain hut, a
    farm at the end of a track) cannot be a rider's origin or destination: a replay
    would refuse it. It is left out and named in :attr:`Zones.skipped`.
    """
    homes, skipped = [], []
    for p in sorted(source.places, key=lambda p: p.osm_id):
        if not _reachable(source, p.lat, p.lon):
            skipped.append(p.name)
            continue
        homes.append(Zone(p.name, p.lat, p.lon, float(p.population or KIND_WEIGHT.get(p.kind, 30))))
    if len(homes) < 2:
        far = f" ({len(skipped)} more lie too far from any road)" if skipped else ""
        raise InputError(
            f"the map has fewer than two named places near a road{far}; cannot synthesise demand"
        )
    stations = [
        Zone(s.name, s.lat, s.lon, STATION_WEIGHT, stop_id=f"osm-{s.osm_id}")
        for s in sorted(source.stops, key=lambda s: s.osm_id)
        if any(word in s.name.lower() for word in STATION_WORDS)
    ]
    big = sorted(homes, key=lambda z: -z.weight)[: max(2, len(homes) // 8)]
    return Zones(homes, big + stations, skipped)


def _reachable(source: PlaceSource, lat: float, lon: float) -> bool:
    try:
        source.snap(lat, lon)
    except SnapError:
        return False
    return True


def synthesise(source: PlaceSource, params: SynthParams, tz: tzinfo) -> list[DemandRequest]:
    """``params.requests`` ride requests over one local service day, sorted by id."""
    rng = random.Random(params.seed)
    found = zones(source)
    homes, attractors = found.homes, found.attractors
    day_start = int(datetime.combine(params.day, params.start, tzinfo=tz).timestamp())
    day_end = int(datetime.combine(params.day, params.end, tzinfo=tz).timestamp())
    return [
        _request(k, rng, source, homes, attractors, params, day_start, day_end)
        for k in range(params.requests)
    ]


def _request(
    k: int,
    rng: random.Random,
    source: PlaceSource,
    homes: Sequence[Zone],
    attractors: Sequence[Zone],
    params: SynthParams,
    day_start: int,
    day_end: int,
) -> DemandRequest:
    period = rng.random()
    if period < params.morning_share:
        when = _peak(rng, day_start, day_end, 7.5 * 3600 - 6 * 3600, 3600)
        origin, destination = _pair(rng, homes, attractors)
    elif period < params.morning_share + params.afternoon_share:
        when = _peak(rng, day_start, day_end, 16.5 * 3600 - 6 * 3600, 5400)
        destination, origin = _pair(rng, homes, attractors)
    else:
        when = rng.randint(day_start, day_end)
        origin, destination = _pair(rng, homes, homes)
    passengers = rng.choices((1, 2, 3), weights=(80, 15, 5))[0]
    wheelchairs = 1 if rng.random() < params.wheelchair_share else 0
    arrive = rng.random() < params.arrive_by_share
    lead = _lead_s(rng, params, arrive)
    return DemandRequest(
        id=f"r{k + 1:05d}",
        booked_at=when - lead,
        depart_after=None if arrive else when,
        arrive_by=when if arrive else None,
        origin=_address(rng, source, origin),
        destination=_address(rng, source, destination),
        passengers=passengers,
        wheelchairs=wheelchairs,
    )


def _peak(rng: random.Random, day_start: int, day_end: int, offset_s: float, sd_s: float) -> int:
    """A time around a peak, kept inside the service day."""
    t = round(day_start + rng.gauss(offset_s, sd_s))
    return min(day_end, max(day_start, t))


def _pair(rng: random.Random, starts: Sequence[Zone], ends: Sequence[Zone]) -> tuple[Zone, Zone]:
    """Two zones far enough apart that nobody would walk, the ends weighted by size."""
    start_w = [z.weight for z in starts]
    end_w = [z.weight for z in ends]
    for _ in range(100):
        a = rng.choices(starts, weights=start_w)[0]
        b = rng.choices(ends, weights=end_w)[0]
        if _distance_m(a, b) >= MIN_TRIP_M:
            return a, b
    raise InputError("the map's places are too close together to make trips between them")


def _lead_s(rng: random.Random, params: SynthParams, arrive_by: bool) -> int:
    if rng.random() >= params.prebooked_share:
        # On the spot: "now" for a departure, or early enough to still arrive on time.
        return rng.randint(30 * 60, 90 * 60) if arrive_by else rng.randint(0, 5 * 60)
    return rng.randint(3600, max(3600, round(params.max_lead_h * 3600)))


def _address(rng: random.Random, source: PlaceSource, zone: Zone) -> Place:
    """The station itself, or a door near the place's centre that a bus can reach."""
    if zone.stop_id is not None:
        return Place(stop_id=zone.stop_id)
    for _ in range(10):
        r = SCATTER_M * math.sqrt(rng.random())
        angle = rng.random() * 2 * math.pi
        lat = round(zone.lat + r * math.cos(angle) / 111_320, 6)
        lon = round(
            zone.lon + r * math.sin(angle) / (111_320 * math.cos(math.radians(zone.lat))), 6
        )
        if _reachable(source, lat, lon):
            return Place(lat=lat, lon=lon)
    return Place(lat=zone.lat, lon=zone.lon)  # the centre: every zone's centre is reachable


def _distance_m(a: Zone, b: Zone) -> float:
    dy = (a.lat - b.lat) * 111_320
    dx = (a.lon - b.lon) * 111_320 * math.cos(math.radians((a.lat + b.lat) / 2))
    return math.hypot(dx, dy)


def service_day_bounds(day: date, tz: tzinfo) -> tuple[int, int]:
    """Local midnight to midnight of ``day`` as epoch seconds."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    return int(start.timestamp()), int((start + timedelta(days=1)).timestamp())
