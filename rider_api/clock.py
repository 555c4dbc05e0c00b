"""``GET /v1/clock``: the service's "now", so that every page shows and fills in its times.

The engine, the bookings and the drivers' events all run on the service's clock. In the
demo that clock is not the wall clock (it may start at tomorrow's opening and run ten
times faster), and a rider's phone may simply be wrong. A page that took "now" from the
browser would then pre-fill times the service refuses as "in the past". So the pages ask
the service once, then keep counting (at ``speedup`` × real time) and ask again now and then.
"""

from __future__ import annotations

from fastapi import APIRouter

from dispatch.demo.clock import DemoClock
from dispatch.service.runtime import Runtime
from rider_api.deps import RuntimeDep
from rider_api.openapi import problems
from rider_api.schemas.common import at_zone
from rider_api.schemas.service import ClockPublic

router = APIRouter(prefix="/v1", tags=["clock"])


def clock_view(runtime: Runtime) -> ClockPublic:
    """The service's time, its zone and whether it is a demo clock (and how fast it runs)."""
    demo = runtime.clock if isinstance(runtime.clock, DemoClock) else None
    return ClockPublic(
        now=at_zone(runtime.clock(), runtime.config.zone),
        time_zone=runtime.config.time_zone,
        demo=demo is not None,
        speedup=demo.speedup if demo is not None else 1.0,
    )


@router.get(
    "/clock",
    response_model=ClockPublic,
    summary="The service's current time (demo time in the demo)",
    responses=problems(),
)
async def service_clock(runtime: RuntimeDep) -> ClockPublic:
    """Pages show and pre-fill times from this clock, not from the device's."""
    return clock_view(runtime)
