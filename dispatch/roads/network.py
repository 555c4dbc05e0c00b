"""Load a region's road network: from the compiled cache if possible, else build it."""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from dispatch.roads.compile import compile_network
from dispatch.roads.geometry import RoutePath
from dispatch.roads.graph import CacheCorruptError, RoadGraph, load_graph, save_graph
from dispatch.roads.osm_file import (
    NamedPoint,
    Street,
    check_source_path,
    read_osm_file,
)
from dispatch.roads.profile import RoadProfile
from dispatch.roads.snap import DEFAULT_MAX_SNAP_M, SnappedPoint, Snapper
from dispatch.roads.source import DEFAULT_REGION_BBOX as DEFAULT_REGION_BBOX
from dispatch.roads.source import OsmSource as OsmSource
from dispatch.roads.source import default_source as default_source
from dispatch.roads.travel_times import DijkstraTravelTimes, IntArray

log = logging.getLogger(__name__)

Progress = Callable[[str], None]


def default_cache_dir() -> Path:
    env = os.environ.get("DISPATCH_OSM_CACHE")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "osm_cache"


@dataclass(frozen=True)
class BuildReport:
    source: str
    from_cache: bool
    seconds: float
    cache_file: Path


@dataclass(eq=False)
class RoadNetwork:
    """The drivable road graph with snapping, travel times, places and stops."""

    graph: RoadGraph
    report: BuildReport
    max_snap_m: float = DEFAULT_MAX_SNAP_M
    travel_times: DijkstraTravelTimes = field(init=False)
    snapper: Snapper = field(init=False)

    def __post_init__(self) -> None:
        self.travel_times = DijkstraTravelTimes(self.graph)
        self.snapper = Snapper(self.graph, self.max_snap_m)

    @property
    def places(self) -> tuple[NamedPoint, ...]:
        return self.graph.places

    @property
    def stops(self) -> tuple[NamedPoint, ...]:
        return self.graph.stops

    @property
    def streets(self) -> tuple[Street, ...]:
        return self.graph.streets

    def snap(self, lat: float, lon: float) -> SnappedPoint:
        return self.snapper.snap(lat, lon)

    def snap_many(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> npt.NDArray[np.int64]:
        return self.snapper.snap_many(lat, lon)[0]

    def node_coords(self, node: int) -> tuple[float, float]:
        """Coordinates of a location: a node, or a point on a segment."""
        return self.travel_times.points.coords(node)

    def route(self, source: int, target: int) -> RoutePath:
        return self.travel_times.route(source, target)

    def one_to_many(self, source: int, targets: Sequence[int]) -> tuple[IntArray, IntArray]:
        return self.travel_times.one_to_many(source, targets)

    def block(self, sources: Sequence[int], targets: Sequence[int]) -> tuple[IntArray, IntArray]:
        """Seconds and metres from every source to every target, in one vectorised pass."""
        return self.travel_times.block(sources, targets)

    def matrix_between(self, points: Sequence[tuple[float, float]]) -> tuple[IntArray, IntArray]:
        """Seconds and metres between ``(lat, lon)`` points, each snapped onto its road."""
        if not points:
            empty = np.zeros((0, 0), dtype=np.int64)
            return empty, empty.copy()
        return self.travel_times.matrix([self.snap(lat, lon).node for lat, lon in points])

    def route_between(
        self, origin: tuple[float, float], destination: tuple[float, float]
    ) -> RoutePath:
        """The fastest path between two ``(lat, lon)`` points (snapped; far points raise)."""
        return self.route(self.snap(*origin).node, self.snap(*destination).node)

    def path_times(self, source: int, target: int) -> list[tuple[int, int]]:
        return self.travel_times.path_times(source, target)

    def path_steps(self, source: int, target: int) -> list[tuple[int, int, int]]:
        return self.travel_times.path_steps(source, target)

    def summary(self) -> dict[str, object]:
        s = self.graph.stats
        return {
            "source": self.report.source,
            "nodes": self.graph.n_nodes,
            "edges": self.graph.n_edges,
            "road_nodes_in_scc": int(s.get("scc_nodes", 0)),
            "share_nodes_kept": round(float(s.get("share_nodes_kept", 0.0)), 4),
            "share_edges_kept": round(float(s.get("share_edges_kept", 0.0)), 4),
            "places": len(self.places),
            "stops": len(self.stops),
            "streets": len(self.streets),
            "from_cache": self.report.from_cache,
            "build_seconds": round(self.report.seconds, 3),
            "cache_file": str(self.report.cache_file),
        }


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_road_network(
    source: OsmSource | None = None,
    profile: RoadProfile | None = None,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    overpass_url: str | None = None,
) -> RoadNetwork:
    """The road network of ``source``: reloaded from ``cache_dir`` or built and cached.

    Parameters
    ----------
    source
        A file or a download spec; default ``$DISPATCH_OSM_SOURCE`` or the default region.
    profile
        Which roads a bus may use and how fast; part of the cache key.
    cache_dir
        Where downloads and compiled graphs live; default ``$DISPATCH_OSM_CACHE`` or
        ``<repo>/osm_cache``.
    progress
        Receives one-line progress messages (the CLI echoes them); default: logging.
    max_snap_m
        Points farther than this from any road raise :class:`SnapError`.
    overpass_url
        Overpass API for downloads; default ``$DISPATCH_OVERPASS_URL`` or osmnx's own.
    """
    source = source or default_source()
    profile = profile or RoadProfile()
    cache_dir = cache_dir or default_cache_dir()
    say = progress or (lambda message: log.info("%s", message))
    started = time.perf_counter()
    path = source.path
    if path is None:
        from dispatch.roads.download import download_osm

        url = overpass_url or os.environ.get("DISPATCH_OVERPASS_URL") or None
        path = download_osm(source, cache_dir, say, overpass_url=url)
    check_source_path(path)
    cache_file = cache_dir / f"graph-{file_digest(path)[:24]}-{profile.key()}.npz"
    graph = _from_cache(cache_file, say)
    from_cache = graph is not None
    if graph is None:
        say(f"building the road network from {path.name} ...")
        graph = compile_network(read_osm_file(path, profile), simplify=profile.simplify)
        save_graph(graph, cache_file)
    report = BuildReport(source.describe(), from_cache, time.perf_counter() - started, cache_file)
    return RoadNetwork(graph, report, max_snap_m)


def _from_cache(cache_file: Path, say: Progress) -> RoadGraph | None:
    if not cache_file.exists():
        return None
    try:
        return load_graph(cache_file)
    except CacheCorruptError as exc:
        say(f"cached road graph is damaged ({exc}); rebuilding it")
        cache_file.unlink(missing_ok=True)
        return None
