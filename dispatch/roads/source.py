"""Where a road map comes from: an OSM file, or a download by place, bounding box or polygon.

Apart from the loader (``network``) and the downloader (``download``), so that each of them
and the service definition can name a source without importing the other.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dispatch.errors import InputError
from dispatch.roads.osm_file import SUFFIXES

#: The default service region: the countryside north of Bayreuth (S, W, N, E).
DEFAULT_REGION_BBOX = (49.9721, 11.4807, 50.047, 11.6053)


@dataclass(frozen=True)
class OsmSource:
    """Where the map comes from: a file, or an osmnx download (place, bbox or polygon)."""

    path: Path | None = None
    place: str | None = None
    bbox: tuple[float, float, float, float] | None = None  # south, west, north, east
    polygon_wkt: str | None = None

    def __post_init__(self) -> None:
        given = [x is not None for x in (self.path, self.place, self.bbox, self.polygon_wkt)]
        if sum(given) != 1:
            raise InputError(
                "give exactly one OSM source: a file, a place name, a bbox or a polygon"
            )
        if self.bbox is not None:
            s, w, n, e = self.bbox
            if not (-90 <= s < n <= 90 and -180 <= w < e <= 180):
                raise InputError(
                    f"bbox must be south,west,north,east with south<north and west<east: {self.bbox}"
                )

    @classmethod
    def parse(cls, text: str) -> OsmSource:
        """Read a source as an operator writes it.

        ``bbox:S,W,N,E`` or four bare numbers is a bounding box, ``place:NAME`` a place
        name, ``polygon:WKT`` (or WKT text) a polygon; text naming an existing file or
        ending in an OSM suffix is a file; anything else is a place name to download.
        """
        text = text.strip()
        prefix, _, rest = text.partition(":")
        kind = prefix.lower()
        if kind == "bbox":
            return cls.parse_bbox(rest)
        if kind == "place" and rest.strip():
            return cls(place=rest.strip())
        if kind == "polygon" or text.upper().startswith(("POLYGON", "MULTIPOLYGON")):
            return cls(polygon_wkt=rest.strip() if kind == "polygon" else text)
        if not text:
            raise InputError("an OSM source is a file, place:NAME, bbox:S,W,N,E or polygon:WKT")
        if _looks_like_bbox(text):
            return cls.parse_bbox(text)
        if Path(text).expanduser().exists() or text.lower().endswith(SUFFIXES):
            return cls(path=Path(text).expanduser())
        return cls(place=text)

    @classmethod
    def parse_bbox(cls, text: str) -> OsmSource:
        try:
            s, w, n, e = (float(x) for x in text.split(","))
        except ValueError:
            raise InputError(f"bbox must be four numbers S,W,N,E, got {text!r}") from None
        return cls(bbox=(s, w, n, e))

    def describe(self) -> str:
        if self.path is not None:
            return str(self.path)
        if self.place is not None:
            return f"place {self.place!r}"
        if self.bbox is not None:
            return "bbox " + ",".join(f"{x:g}" for x in self.bbox)
        return "polygon"


def _looks_like_bbox(text: str) -> bool:
    parts = text.split(",")
    try:
        [float(x) for x in parts]
    except ValueError:
        return False
    return len(parts) == 4


def default_source() -> OsmSource:
    """DISPATCH_OSM_SOURCE if set (a file, place:NAME or bbox:S,W,N,E), else the default region."""
    env = os.environ.get("DISPATCH_OSM_SOURCE")
    if env:
        return OsmSource.parse(env)
    return OsmSource(bbox=DEFAULT_REGION_BBOX)
