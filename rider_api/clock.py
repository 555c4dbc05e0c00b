"""``GET /v1/clock``: the service's "now", so that every page shows and fills in its times.

The engine, the bookings and the drivers' events all run on the service's clock. In the
demo that clock is not the wall clock (it may start at tomorrow's opening and run ten
times faster), and a rider's phone may simply be wrong. A page that took "now" from the
browser would then pre-fill times the service refuses as "in the past". So the pages ask
the service once, then keep counting (at ``speedup`` × real time) and ask again now and then.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request

from dispatch.demo.clock import DemoClock
from dispatch.service.runtime import Runtime

router = APIRouter(prefix="/v1", tags=["clock"])


def clock_view(runtime: Runtime) -> dict[str, Any]:
    """The service's time, its zone and whether it is a demo clock (and how fast it runs)."""
    now = runtime.clock()
    demo = isinstance(runtime.clock, DemoClock)
    return {
        "now": datetime.fromtimestamp(now, runtime.config.zone).isoformat(),
        "time_zone": runtime.config.time_zone,
        "demo": demo,
        "speedup": runtime.clock.speedup if isinstance(runtime.clock, DemoClock) else 1.0,
    }


@router.get("/clock", summary="The service's current time (demo time in the demo)")
async def service_clock(request: Request) -> dict[str, Any]:
    """``{"now": ISO 8601 in the service's zone, "time_zone", "demo": bool, "speedup"}``.

    Pages show and pre-fill times from this clock, not from the device's."""
    runtime: Runtime = request.app.state.runtime
    return clock_view(runtime)
