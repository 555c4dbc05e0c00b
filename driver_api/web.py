"""The driver web page and the map data it draws (no CDN, no map tiles: offline).

The page draws its map from the service's own road network: every drivable road as
an encoded polyline, plus the named places, fetched once and kept by the browser.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from dispatch.roads.network import RoadNetwork
from dispatch.service.plan_payload import encode_polyline
from driver_api.state import get_hub

WEB_DIR = Path(__file__).parent / "web"

router = APIRouter(tags=["driver"])


@router.get("/driver", include_in_schema=False)
async def driver_page() -> FileResponse:
    return FileResponse(WEB_DIR / "index.html", media_type="text/html")


@router.get("/v1/driver/map")
async def map_roads(request: Request) -> dict[str, Any]:
    """Roads (encoded polylines), places and bounds of the service area, for offline maps."""
    network = get_hub(request.app).runtime.network
    return await run_in_threadpool(road_map, network)


@lru_cache(maxsize=4)
def road_map(network: RoadNetwork) -> dict[str, Any]:
    g = network.graph
    roads: list[str] = []
    seen: set[tuple[int, int]] = set()
    for a in range(g.n_nodes):
        for e in range(int(g.indptr[a]), int(g.indptr[a + 1])):
            b = int(g.indices[e])
            if (b, a) in seen:
                continue
            seen.add((a, b))
            lo, hi = int(g.geom_ptr[e]), int(g.geom_ptr[e + 1])
            points = [(float(g.lat[a]), float(g.lon[a]))]
            points += zip(g.geom_lat[lo:hi].tolist(), g.geom_lon[lo:hi].tolist(), strict=True)
            points.append((float(g.lat[b]), float(g.lon[b])))
            roads.append(encode_polyline(points))
    return {
        "bounds": [float(g.lat.min()), float(g.lon.min()), float(g.lat.max()), float(g.lon.max())],
        "roads": roads,
        "places": [{"name": p.name, "lat": p.lat, "lon": p.lon} for p in network.places],
    }


def install(app: FastAPI) -> None:
    """Mount the driver routes, the stream and the page on the service's app."""
    from driver_api import shifts, stream

    app.include_router(stream.router)
    app.include_router(shifts.router)
    app.include_router(router)
    app.mount("/driver/static", StaticFiles(directory=WEB_DIR), name="driver-static")
