"""The compiled road graph: compact arrays, saved and reloaded with a checksum.

Nodes are the junctions and dead ends of the drivable, strongly connected network;
chains of nodes in between are folded into one edge that keeps their coordinates
as its geometry (for polylines). Everything is a NumPy array so that a reload is a
handful of ``np.load`` calls, not an XML parse.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import numpy.typing as npt

from dispatch.roads.osm_file import NamedPoint, Street

FORMAT_VERSION = 1

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


class CacheCorruptError(Exception):
    """A cache file that cannot be trusted (truncated, altered, other version)."""


@dataclass(frozen=True, eq=False)
class RoadGraph:
    node_osm_id: IntArray
    lat: FloatArray
    lon: FloatArray
    indptr: IntArray
    indices: IntArray
    travel_s: IntArray
    distance_m: IntArray
    #: Edge k's inner geometry is geom_lat/lon[geom_ptr[k]:geom_ptr[k + 1]].
    geom_ptr: IntArray
    geom_lat: FloatArray
    geom_lon: FloatArray
    #: Every drivable OSM node kept (junctions and chain nodes), for the distance-to-road check.
    road_lat: FloatArray
    road_lon: FloatArray
    places: tuple[NamedPoint, ...]
    stops: tuple[NamedPoint, ...]
    streets: tuple[Street, ...]
    stats: dict[str, float]

    @property
    def n_nodes(self) -> int:
        return int(self.lat.shape[0])

    @property
    def n_edges(self) -> int:
        return int(self.indices.shape[0])

    def edge_index(self, a: int, b: int) -> int:
        """The index of the edge a→b (the fastest, if there were parallel ones)."""
        start, end = int(self.indptr[a]), int(self.indptr[a + 1])
        hits = np.nonzero(self.indices[start:end] == b)[0]
        if hits.size == 0:
            raise KeyError((a, b))
        return start + int(hits[0])


_ARRAYS = [
    f.name for f in fields(RoadGraph) if f.name not in ("places", "stops", "streets", "stats")
]


def _digest(arrays: dict[str, npt.NDArray[np.generic]], meta: bytes) -> str:
    h = hashlib.sha256(meta)
    for name in sorted(arrays):
        h.update(name.encode())
        h.update(np.ascontiguousarray(arrays[name]).tobytes())
    return h.hexdigest()


def save_graph(graph: RoadGraph, path: Path) -> None:
    """Write atomically (temp file, then rename), with a checksum over all contents."""
    arrays = {name: getattr(graph, name) for name in _ARRAYS}
    meta = json.dumps(
        {
            "version": FORMAT_VERSION,
            "named": {
                "places": [_point(p) for p in graph.places],
                "stops": [_point(p) for p in graph.stops],
            },
            "streets": list(graph.streets),
            "stats": graph.stats,
        }
    ).encode()
    payload = {**arrays, "meta": np.frombuffer(meta, dtype=np.uint8)}
    payload["checksum"] = np.frombuffer(_digest(arrays, meta).encode(), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **payload)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def load_graph(path: Path) -> RoadGraph:
    try:
        # Open the file ourselves: np.load leaks the handle when the zip is truncated.
        with path.open("rb") as fh, np.load(fh, allow_pickle=False) as data:
            arrays = {name: data[name] for name in _ARRAYS}
            meta = data["meta"].tobytes()
            checksum = data["checksum"].tobytes().decode()
    except Exception as exc:  # noqa: BLE001 - any damage to the file means: rebuild
        raise CacheCorruptError(f"{path.name}: {type(exc).__name__}") from None
    if _digest(arrays, meta) != checksum:
        raise CacheCorruptError(f"{path.name}: checksum mismatch")
    info = json.loads(meta)
    if info.get("version") != FORMAT_VERSION:
        raise CacheCorruptError(f"{path.name}: format version {info.get('version')}")
    return RoadGraph(
        **arrays,
        places=tuple(NamedPoint(**p) for p in info["named"]["places"]),
        stops=tuple(NamedPoint(**p) for p in info["named"]["stops"]),
        streets=tuple(Street(s[0], s[1], s[2]) for s in info["streets"]),
        stats=info["stats"],
    )


def _point(p: NamedPoint) -> dict[str, object]:
    return {
        "osm_id": p.osm_id,
        "name": p.name,
        "kind": p.kind,
        "lat": p.lat,
        "lon": p.lon,
        "population": p.population,
    }
