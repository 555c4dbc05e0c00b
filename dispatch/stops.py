"""Virtual stops of a service: OSM bus stops, a stop at each named place, planners' extras."""

from __future__ import annotations

from dataclasses import dataclass

from dispatch.config import ServiceConfig
from dispatch.errors import InputError, SnapError
from dispatch.roads.network import RoadNetwork


@dataclass(frozen=True, slots=True)
class VirtualStop:
    id: str
    name: str
    lat: float
    lon: float
    node: int
    source: str  # "osm" | "place" | "file" | "proposal"


class UnknownStopError(InputError):
    """A stop id that the service does not know."""


class VirtualStops:
    """All stops of the service, snapped to the road network once at start-up."""

    def __init__(self, stops: list[VirtualStop]) -> None:
        self.stops = stops
        self._by_id = {s.id: s for s in stops}

    def get(self, stop_id: str) -> VirtualStop:
        stop = self._by_id.get(stop_id)
        if stop is None:
            raise UnknownStopError(f"unknown stop {stop_id!r}")
        return stop

    def __len__(self) -> int:
        return len(self.stops)

    def add(self, stop: VirtualStop) -> None:
        """A stop added while the service runs (an accepted proposal): quotable at once."""
        if stop.id in self._by_id:
            return
        self.stops.append(stop)  # the same list the API lists
        self._by_id[stop.id] = stop


def build_stops(network: RoadNetwork, config: ServiceConfig) -> VirtualStops:
    candidates: list[tuple[str, str, float, float, str]] = []
    if config.stops.from_osm:
        candidates += [(f"osm-{s.osm_id}", s.name, s.lat, s.lon, "osm") for s in network.stops]
    if config.stops.from_places:
        candidates += [(f"place-{p.osm_id}", p.name, p.lat, p.lon, "place") for p in network.places]
    candidates += [(s.id, s.name, s.lat, s.lon, "file") for s in config.stops.extra]
    stops = []
    for sid, name, lat, lon, source in candidates:
        try:
            snapped = network.snap(lat, lon)
        except SnapError:
            continue  # a place far from any road (e.g. a farm on a track) gets no stop
        stops.append(VirtualStop(sid, name, lat, lon, snapped.node, source))
    return VirtualStops(stops)
