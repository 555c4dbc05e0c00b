"""The service itself: its health (for monitoring) and its clock (for the pages)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from rider_api.schemas.common import PublicModel, ServiceTime


class HealthPublic(PublicModel):
    """``GET /v1/health``: the service is up, and how the dispatcher is doing."""

    status: Literal["ok"]
    vehicles: int = Field(description="shift days the dispatcher plans (a vehicle's day each)")
    stops: int = Field(description="virtual stops")
    solving: bool = Field(description="a re-optimisation is running now")
    solves: int = Field(description="re-optimisations run since the start")
    adoptions: int = Field(description="re-optimised plans taken since the start")
    bookings_moved: int = Field(description="bookings the adopted plans moved to another bus")
    unplaced: int = Field(description="confirmed bookings no bus's plan holds (incidents)")


class ClockPublic(PublicModel):
    """``GET /v1/clock``: the service's time (demo time in the demo)."""

    now: ServiceTime
    time_zone: str = Field(examples=["Europe/Berlin"])
    demo: bool
    speedup: float = Field(description="how many times faster than real time the clock runs")
