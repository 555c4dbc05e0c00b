"""Download a region with osmnx (needs internet) and keep it as an OSM XML file.

The only module that imports osmnx. Ways and nodes come from Overpass through osmnx
(``settings.overpass_url`` can point to any Overpass server); they are written as a
plain ``.osm`` file in the cache, so the same compiler builds the graph as for files
and the region works offline from then on.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from urllib.parse import urlsplit
from xml.sax.saxutils import quoteattr

from dispatch.errors import NoDrivableRoadError, RoadNetworkError
from dispatch.roads.source import OsmSource

HIGHWAY_FILTER = (
    '["highway"~"motorway|trunk|primary|secondary|tertiary|unclassified|residential|'
    'living_street|road|service|motorway_link|trunk_link|primary_link|secondary_link|tertiary_link"]'
)
WAY_TAGS = [
    "highway",
    "name",
    "oneway",
    "junction",
    "maxspeed",
    "access",
    "motor_vehicle",
    "vehicle",
    "psv",
    "bus",
    "oneway:bus",
    "oneway:psv",
    "area",
]
POINT_TAGS = {
    "place": ["city", "town", "village", "hamlet", "suburb", "isolated_dwelling"],
    "highway": "bus_stop",
    "public_transport": "platform",
}


#: osmnx's default Overpass server (checked before osmnx is even imported).
DEFAULT_OVERPASS_URL = "https://overpass-api.de/api"
#: How long the check for a reachable Overpass server may take, in seconds.
REACH_TIMEOUT_S = 5.0
#: Map files looked for to suggest in the error, relative to the working folder and the code.
EXTRACT_FOLDERS = ("shared/data/osm", "../shared/data/osm", "../../shared/data/osm")


def check_reachable(url: str, source: OsmSource, timeout_s: float = REACH_TIMEOUT_S) -> None:
    """Fail within seconds, with the command that fixes it, when the map cannot be downloaded.

    Without this, osmnx retries for a minute before it gives up with a urllib3 traceback
    text; a new user without internet learns nothing from that.
    """
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        pool.submit(_connect, host, port, timeout_s).result(timeout=timeout_s + 1)
    except (OSError, FutureTimeout) as exc:
        reason = str(exc) or type(exc).__name__
        raise RoadNetworkError(
            f"cannot download {source.describe()}: {host} cannot be reached ({reason}). "
            f"Without internet, use an OpenStreetMap file of the region: {_how_to_use_a_file()}"
        ) from None
    finally:
        pool.shutdown(wait=False)


def _connect(host: str, port: int, timeout_s: float) -> None:
    socket.create_connection((host, port), timeout=timeout_s).close()


def _how_to_use_a_file() -> str:
    if os.environ.get("DISPATCH_OSM_SOURCE"):  # set, but a service definition names a region
        return (
            "DISPATCH_OSM_SOURCE is set, but this service definition names its own [region] "
            '(bbox or place), which comes first; write `file = "/path/to/region.osm.gz"` '
            "in its [region] instead, or leave [region] out to use DISPATCH_OSM_SOURCE"
        )
    return fix_command()


def fix_command() -> str:
    """``export DISPATCH_OSM_SOURCE=<absolute path>``, with a real extract where one is found."""
    roots = [Path.cwd(), Path(__file__).resolve().parents[2]]
    for root in roots:
        for folder in EXTRACT_FOLDERS:
            found = sorted((root / folder).glob("*.osm*")) if (root / folder).is_dir() else []
            preferred = [f for f in found if f.name.startswith("north-bayreuth")] or found
            if preferred:
                return f"export DISPATCH_OSM_SOURCE={preferred[0].resolve()}"
    return "export DISPATCH_OSM_SOURCE=/absolute/path/to/region.osm.pbf (a .osm, .osm.gz or .osm.pbf extract)"


def _key(source: OsmSource) -> str:
    text = json.dumps([source.place, source.bbox, source.polygon_wkt])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def download_osm(
    source: OsmSource,
    cache_dir: Path,
    say: Callable[[str], None],
    overpass_url: str | None = None,
) -> Path:
    """The cached download for ``source``, fetching it first if it is not there yet.

    ``overpass_url`` replaces osmnx's ``settings.overpass_url`` (a mirror, or a
    stand-in server in tests); the download is cached whichever server answered.
    """
    target = cache_dir / f"download-{_key(source)}.osm"
    if target.exists():
        return target
    check_reachable(overpass_url or DEFAULT_OVERPASS_URL, source)
    say(f"downloading {source.describe()} from OpenStreetMap (once; cached in {cache_dir}) ...")
    import osmnx as ox

    ox.settings.useful_tags_way = WAY_TAGS
    if overpass_url is not None:
        ox.settings.overpass_url = overpass_url.rstrip("/")
    try:
        graph, points = _fetch(ox, source)
    except Exception as exc:  # noqa: BLE001 - osmnx raises many kinds; all mean "could not download"
        if type(exc).__name__ in ("InsufficientResponseError", "EmptyOverpassResponse"):
            raise NoDrivableRoadError(f"{source.describe()}: no drivable road found") from None
        raise RoadNetworkError(f"download of {source.describe()} failed: {exc}") from None
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(_to_osm_xml(graph, points), encoding="utf-8")
    tmp.replace(target)
    return target


def _fetch(ox: object, source: OsmSource) -> tuple[object, object]:
    settings = {"custom_filter": HIGHWAY_FILTER, "simplify": False, "retain_all": True}
    if source.place is not None:
        graph = ox.graph_from_place(source.place, **settings)  # type: ignore[attr-defined]
        points = ox.features_from_place(source.place, POINT_TAGS)  # type: ignore[attr-defined]
    elif source.bbox is not None:
        s, w, n, e = source.bbox
        graph = ox.graph_from_bbox((w, s, e, n), **settings)  # type: ignore[attr-defined]
        points = ox.features_from_bbox((w, s, e, n), POINT_TAGS)  # type: ignore[attr-defined]
    else:
        from shapely import wkt

        polygon = wkt.loads(source.polygon_wkt)
        graph = ox.graph_from_polygon(polygon, **settings)  # type: ignore[attr-defined]
        points = ox.features_from_polygon(polygon, POINT_TAGS)  # type: ignore[attr-defined]
    return graph, points


def _to_osm_xml(graph: object, points: object) -> str:
    """Write graph nodes/edges and point features as OSM XML (ways = single edges)."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<osm version="0.6" generator="rufbus-dispatch">',
    ]
    for node, data in graph.nodes(data=True):  # type: ignore[attr-defined]
        lines.append(f'<node id="{node}" lat="{data["y"]}" lon="{data["x"]}"/>')
    lines += _point_nodes(points)
    for k, (u, v, data) in enumerate(graph.edges(data=True), start=1):  # type: ignore[attr-defined]
        # osmnx already holds one edge per drivable direction: each becomes a one-way way.
        tags = "".join(
            f"<tag k={quoteattr(t)} v={quoteattr(_first(data[t]))}/>"
            for t in WAY_TAGS
            if t in data and t not in ("oneway", "junction", "oneway:bus", "oneway:psv")
        )
        tags += '<tag k="oneway" v="yes"/>'
        lines.append(f'<way id="{k}"><nd ref="{u}"/><nd ref="{v}"/>{tags}</way>')
    lines.append("</osm>")
    return "\n".join(lines)


def _point_nodes(points: object) -> list[str]:
    out = []
    for k, (_, row) in enumerate(points.iterrows(), start=1):  # type: ignore[attr-defined]
        geom = row.geometry.centroid
        tags = "".join(
            f"<tag k={quoteattr(t)} v={quoteattr(str(row[t]))}/>"
            for t in ("name", "place", "highway", "public_transport", "population")
            if t in row and isinstance(row[t], str)
        )
        out.append(f'<node id="{-k}" lat="{geom.y}" lon="{geom.x}">{tags}</node>')
    return out


def _first(value: object) -> str:
    if isinstance(value, list):
        return str(value[0])
    return str(value)
