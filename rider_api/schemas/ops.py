"""The dispatcher's view (the fleet now, fairness by rider group) and the road map."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from dispatch.model import BookingStatus
from rider_api.schemas.common import Latitude, Longitude, PublicModel, ServiceTime


class PositionPublic(PublicModel):
    lat: Latitude
    lon: Longitude
    at: ServiceTime = Field(description="when the bus was there (its last report)")
    reported: bool = Field(
        description="false: the bus has not reported yet; the position is where its shift "
        "starts, and `at` the shift's start"
    )


class FleetStopPublic(PublicModel):
    """One of a bus's next stops."""

    booking_id: str | None = Field(description="None for a break")
    kind: Literal["pickup", "dropoff", "break"]
    name: str | None
    lat: Latitude
    lon: Longitude
    arrival: ServiceTime
    service_start: ServiceTime = Field(
        description="when the stop is served: a bus early for a pickup window waits for it"
    )
    late_s: int = Field(description="seconds past the booking's promise (0: on time)")


class FleetVehiclePublic(PublicModel):
    """A shift of the day: where the bus is, what it does next, whether it runs late."""

    vehicle_id: str = Field(description="the shift the dispatcher plans (bus-1@2026-11-25)")
    name: str
    shift_start: ServiceTime
    shift_end: ServiceTime
    in_service: bool
    position: PositionPublic
    connected: bool = Field(description="the driver's device is online")
    lost_contact: bool = Field(description="in service, but the device is not online")
    late: bool
    late_s: int
    plan_version: int
    stops_left: int
    next_stops: list[FleetStopPublic]
    route: str = Field(
        description="the roads from the bus through its next stops (encoded polyline)"
    )


class FleetPlacePublic(PublicModel):
    name: str


class FleetPickupPublic(FleetPlacePublic):
    window_start: ServiceTime
    window_end: ServiceTime


class FleetDropoffPublic(FleetPlacePublic):
    latest_arrival: ServiceTime


class FleetBookingPublic(PublicModel):
    """A booking of the day, as the dispatcher sees it."""

    booking_id: str
    status: BookingStatus
    pickup: FleetPickupPublic
    dropoff: FleetDropoffPublic
    pickup_eta: ServiceTime | None
    passengers: int
    wheelchairs: int
    vehicle_id: str | None


class ReoptimisationPublic(PublicModel):
    """A re-optimised plan the dispatcher adopted."""

    at: ServiceTime
    drive_saved_s: int
    vehicles_changed: int
    bookings_moved: int


class IncidentPublic(PublicModel):
    """Something the dispatcher must look at, e.g. a confirmed booking no bus can take."""

    booking_id: str
    kind: str
    detail: str
    since: ServiceTime


class FleetPublic(PublicModel):
    """``GET /v1/ops/fleet``: the day's vehicles and bookings, re-optimisations, incidents."""

    now: ServiceTime
    day: date
    vehicles: list[FleetVehiclePublic]
    bookings: list[FleetBookingPublic]
    reoptimisations: list[ReoptimisationPublic] = Field(description="the latest 10, newest first")
    incidents: list[IncidentPublic]


class GroupFiguresPublic(PublicModel):
    """One rider group's figures (shares 0..1, times in minutes; None: nobody to count)."""

    group_kind: str = Field(examples=["wheelchair", "channel", "standing_order", "village"])
    group: str
    requests: int
    served: int
    served_share: float | None
    rejected: int
    wait_median_min: float | None
    wait_p90_min: float | None
    late_share: float | None


class FairnessOptionPublic(PublicModel):
    """The fairness option (``[booking] fairness_max_gap``) on the day: wheelchair users'
    refused requests are asked again later while their served share trails by more."""

    max_gap: float
    extra_wait_min: int
    wheelchair_share: float | None
    others_share: float | None
    trailing_by: float | None
    asks_again: bool


class FairnessPublic(PublicModel):
    """``GET /v1/ops/fairness``: the day's figures by rider group."""

    day: date
    groups: list[GroupFiguresPublic]
    wheelchair_gap: float | None = Field(
        description="served share of the best-served wheelchair group minus the worst"
    )
    fairness_option: FairnessOptionPublic | None = Field(description="None: the option is off")


class MapPlacePublic(PublicModel):
    """A named place of the map (OSM ``place``: city, town, village, suburb, hamlet, ...)."""

    name: str
    lat: float
    lon: float
    kind: str
    population: int | None


class RoadMapPublic(PublicModel):
    """``GET /v1/map/roads`` and ``GET /v1/driver/map``: each road once, in Google's encoded
    polyline format (precision 5), and the map's named places."""

    bounds: tuple[float, float, float, float] = Field(description="south, west, north, east")
    roads: list[str]
    places: list[MapPlacePublic]
