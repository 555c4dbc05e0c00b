"""The built-in service definition: six buses north of Bayreuth.

Depots are road nodes of the shared extract ``north-bayreuth.osm.gz`` next to the
place nodes of Neudrossenfeld, Harsdorf, Altenplos and Waldau (Trebgast lies just
north of the extract, so it is not used). The region is ``DISPATCH_OSM_SOURCE`` if
set, else the extract's bounding box (downloaded through osmnx).
"""

from __future__ import annotations

from typing import Any

#: name → (lat, lon) of the road node nearest to the place's centre.
DEPOTS: dict[str, tuple[float, float]] = {
    "Neudrossenfeld": (50.0185111, 11.5017849),
    "Harsdorf": (50.0276079, 11.5689206),
    "Altenplos": (49.9860761, 11.5078916),
    "Waldau": (50.0321097, 11.527626),
}

_FLEET = (
    ("bus-1", "Neudrossenfeld"),
    ("bus-2", "Neudrossenfeld"),
    ("bus-3", "Harsdorf"),
    ("bus-4", "Harsdorf"),
    ("bus-5", "Altenplos"),
    ("bus-6", "Waldau"),
)


def _vehicle(vehicle_id: str, depot: str) -> dict[str, Any]:
    lat, lon = DEPOTS[depot]
    return {
        "id": vehicle_id,
        "name": f"Rufbus {vehicle_id.removeprefix('bus-')} ({depot})",
        "seats": 8,
        "wheelchair_places": 1,
        "depot": {"lat": lat, "lon": lon},
    }


DEFAULT_SERVICE: dict[str, Any] = {
    "name": "Rufbus Bayreuth Land Nord",
    "area": "north-bayreuth",
    "time_zone": "Europe/Berlin",
    "hours": {"daily": ["06:00", "22:00"]},
    "stops": {"from_osm": True, "from_places": True},
    "fleet": {
        "vehicles": [_vehicle(v, depot) for v, depot in _FLEET],
        "shifts": [
            {"vehicle": v, "weekdays": "daily", "start": "05:30", "end": "23:00"} for v, _ in _FLEET
        ],
    },
}
