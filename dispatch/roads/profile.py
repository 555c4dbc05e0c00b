"""Which roads a bus may use and how fast it drives on them."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field

#: Typical bus speeds (km/h) per OSM highway class in rural Germany.
DEFAULT_SPEEDS_KMH: dict[str, float] = {
    "motorway": 80,
    "motorway_link": 50,
    "trunk": 80,
    "trunk_link": 50,
    "primary": 70,
    "primary_link": 45,
    "secondary": 65,
    "secondary_link": 40,
    "tertiary": 55,
    "tertiary_link": 35,
    "unclassified": 45,
    "residential": 30,
    "living_street": 7,
    "road": 30,
    "service": 20,
}

#: Access values that keep a bus out unless a bus/psv tag lets it in.
DENIED = frozenset(
    {"no", "private", "agricultural", "forestry", "delivery", "customers", "destination_only_no"}
)
ALLOWED = frozenset({"yes", "designated", "permissive", "destination"})

_MAXSPEED_WORDS = {"none": 130.0, "walk": 7.0, "signals": 50.0, "variable": 80.0}
_MAXSPEED_ZONES = {
    "urban": 50.0,
    "rural": 100.0,
    "motorway": 130.0,
    "living_street": 7.0,
    "zone30": 30.0,
}


@dataclass(frozen=True)
class RoadProfile:
    """The vehicle profile the road graph is compiled for (part of the cache key).

    ``service`` roads (yards, parking aisles, farm drives) are left out by default; a
    service road tagged ``bus=yes``/``psv=yes`` (bus turning loops) is always kept.
    """

    speeds_kmh: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_SPEEDS_KMH))
    include_service: bool = False
    max_speed_kmh: float = 80.0
    use_maxspeed: bool = True
    #: Fold chains of road nodes into one edge between junctions (geometry is kept for
    #: polylines). ``False`` keeps every OSM road node: finer snapping (to within tens
    #: of metres of a door instead of the nearest junction), the same matrix speed
    #: (Dijkstra contracts chains anyway), a slightly slower load.
    simplify: bool = True

    def __post_init__(self) -> None:
        if self.max_speed_kmh <= 0:
            raise ValueError("max_speed_kmh must be positive")
        bad = [k for k, v in self.speeds_kmh.items() if v <= 0]
        if bad:
            raise ValueError(f"speeds must be positive: {', '.join(bad)}")

    def key(self) -> str:
        """A short stable hash of everything that changes the compiled graph."""
        text = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def highway_allowed(self, highway: str, tags: dict[str, str]) -> bool:
        if highway == "service" and not self.include_service:
            return _bus_tag(tags) in ALLOWED
        return highway in self.speeds_kmh

    def speed_kmh(self, highway: str, maxspeed: str | None) -> float:
        speed = self.speeds_kmh.get(highway, 20.0)
        if self.use_maxspeed and maxspeed:
            parsed = parse_maxspeed(maxspeed)
            if parsed is not None:
                speed = min(speed, parsed) if highway in ("living_street", "service") else parsed
        return max(5.0, min(speed, self.max_speed_kmh))


def _bus_tag(tags: dict[str, str]) -> str | None:
    return tags.get("bus") or tags.get("psv")


def bus_may_use(tags: dict[str, str]) -> bool:
    """OSM access rules for a bus: the most specific tag wins (bus > psv > motor_vehicle > access)."""
    for key in ("bus", "psv", "motor_vehicle", "vehicle", "access"):
        value = tags.get(key)
        if value is None:
            continue
        if value in ALLOWED:
            return True
        if value in DENIED:
            return False
    return True


def oneway_direction(tags: dict[str, str]) -> int:
    """+1 forward only, -1 backward only, 0 both ways (buses follow general one-way rules)."""
    value = tags.get("oneway:bus") or tags.get("oneway:psv") or tags.get("oneway")
    if value in ("yes", "true", "1"):
        return 1
    if value == "-1" or value == "reverse":
        return -1
    if value in ("no", "false", "0"):
        return 0
    if tags.get("junction") in ("roundabout", "circular"):
        return 1
    if tags.get("highway") in ("motorway", "motorway_link"):
        return 1
    return 0


def parse_maxspeed(text: str) -> float | None:
    """``"50"``, ``"30 mph"``, ``"DE:urban"``, ``"none"`` → km/h (None if unreadable)."""
    value = text.strip().lower().split(";")[0].strip()
    if value in _MAXSPEED_WORDS:
        return _MAXSPEED_WORDS[value]
    if ":" in value:
        return _MAXSPEED_ZONES.get(value.split(":", 1)[1])
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(mph|km/h|kmh)?", value)
    if match is None:
        return None
    speed = float(match.group(1))
    return speed * 1.609344 if match.group(2) == "mph" else speed
