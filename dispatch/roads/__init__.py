"""The road network a bus may drive: load from OpenStreetMap, compile, snap, route.

Build once from an OSM file (XML, gzip/bzip2 XML, PBF) or an osmnx download, keep the
compiled graph in ``osm_cache/``, and answer travel times with exact Dijkstra rows.
"""

from __future__ import annotations

from dispatch.roads.geometry import RoutePath
from dispatch.roads.graph import RoadGraph
from dispatch.roads.network import (
    BuildReport,
    OsmSource,
    RoadNetwork,
    default_cache_dir,
    default_source,
    load_road_network,
)
from dispatch.roads.osm_file import NamedPoint, Street
from dispatch.roads.profile import RoadProfile, parse_maxspeed
from dispatch.roads.snap import DEFAULT_MAX_SNAP_M, SnappedPoint
from dispatch.roads.travel_times import DijkstraTravelTimes, TravelTimes

__all__ = [
    "DEFAULT_MAX_SNAP_M",
    "BuildReport",
    "DijkstraTravelTimes",
    "NamedPoint",
    "OsmSource",
    "RoadGraph",
    "RoadNetwork",
    "RoadProfile",
    "RoutePath",
    "SnappedPoint",
    "Street",
    "TravelTimes",
    "default_cache_dir",
    "default_source",
    "load_road_network",
    "parse_maxspeed",
]
