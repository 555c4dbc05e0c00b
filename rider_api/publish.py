"""``GET /v1/gtfs-flex.zip``: the service for trip planners (the same feed as the CLI writes)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from dispatch.publish.gtfs_flex import FeedInput, build_feed
from dispatch.publish.zones import service_zones
from dispatch.service.runtime import Runtime
from rider_api.deps import _state

router = APIRouter(prefix="/v1", tags=["open data"])


def _feed(runtime: Runtime) -> bytes:
    config = runtime.config
    today = datetime.fromtimestamp(runtime.clock(), config.zone).date()
    zones = service_zones(config, runtime.network)
    return build_feed(FeedInput(config, zones, list(runtime.stops.stops), today))


@router.get(
    "/gtfs-flex.zip",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}, "description": "GTFS-Flex feed"}},
)
async def gtfs_flex(request: Request) -> Response:
    runtime = _state(request, "runtime")
    assert isinstance(runtime, Runtime)
    data = await run_in_threadpool(_feed, runtime)
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="gtfs-flex.zip"'},
    )
