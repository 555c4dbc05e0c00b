"""Read-only views for the dispatcher and the maps: the fleet now, and the road network.

``GET /v1/ops/fleet`` (agent or admin token) shows every vehicle of today's shifts
with its position, its current plan, whether it runs late and whether its driver's
device is connected, today's bookings with their states, and the latest re-optimisations.

This module never touches the engine's live state: it reads the immutable view the
engine thread published last (``runtime.views.current``), taken once per answer, so what
it shows may be a moment old but is never half-updated.

``GET /v1/map/roads`` (public: it is OpenStreetMap data) is the service's road network
as encoded polylines, small enough to draw an offline map in the browser.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from dispatch.engine.views import ShiftView, StopView
from dispatch.errors import InputError
from dispatch.model import BookingId, BookingStatus, StopKind, vehicle_of
from dispatch.service.runtime import Runtime
from dispatch.store.records import Booking
from rider_api.deps import BookingAccessDep, BookingIdPath, CurrentAgent
from rider_api.openapi import problems
from rider_api.schemas.bookings import BookingVehiclePublic, VehiclePosition
from rider_api.schemas.common import at_zone, maybe_at_zone
from rider_api.schemas.ops import (
    FleetBookingPublic,
    FleetDropoffPublic,
    FleetPickupPublic,
    FleetPublic,
    FleetStopPublic,
    FleetVehiclePublic,
    IncidentPublic,
    PositionPublic,
    ReoptimisationPublic,
    RoadMapPublic,
)

router = APIRouter(prefix="/v1", tags=["dispatcher"])

#: How many of a vehicle's next stops the dispatcher sees (and the route is drawn to).
NEXT_STOPS = 4
#: Coordinates are sent as integers in units of 1e-5 degrees (about a metre).
SCALE = 100_000


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


# ---- the road network -------------------------------------------------------------------


@router.get(
    "/map/roads",
    summary="The road network for an offline map",
    response_model=None,
    responses={
        200: {"model": RoadMapPublic, "description": "The road network (maybe gzipped)"},
        304: {"description": "Not modified (the ETag given in If-None-Match)"},
        **problems(),
    },
)
async def roads(
    request: Request,
    accept_encoding: str | None = Header(default=None),
    if_none_match: str | None = Header(default=None),
) -> Response:
    """Each road once, in Google's encoded polyline format (precision 5); places are OSM's
    named places (``kind`` city, town, village, suburb, hamlet, isolated_dwelling)."""
    encoded = await run_in_threadpool(_runtime(request).geometry.encoded_map)
    headers = {"ETag": encoded.etag, "Cache-Control": "public, max-age=3600"}
    if if_none_match == encoded.etag:
        return Response(status_code=304, headers=headers)
    headers["Vary"] = "Accept-Encoding"
    if accept_encoding and "gzip" in accept_encoding:
        headers["Content-Encoding"] = "gzip"
        return Response(encoded.gzipped, media_type="application/json", headers=headers)
    return Response(encoded.body, media_type="application/json", headers=headers)


# ---- the fleet --------------------------------------------------------------------------


#: Days before or after today the dispatcher view may show.
MAX_DAYS_AWAY = 366


def check_day(day: date, today: date, what: str = "day") -> date:
    """``day`` if it lies within a year of ``today``; else an ``InputError`` naming ``what``."""
    if abs((day - today).days) > MAX_DAYS_AWAY:
        raise InputError(f"{what}: give a date within {MAX_DAYS_AWAY} days of today")
    return day


def _day_bounds(runtime: Runtime, now: int, day: date | None) -> tuple[int, int]:
    zone = runtime.config.zone
    today = datetime.fromtimestamp(now, zone).date()
    chosen = check_day(day, today) if day is not None else today
    start = datetime.combine(chosen, time(0), zone)
    return int(start.timestamp()), int((start + timedelta(days=1)).timestamp())


def fleet_view(runtime: Runtime, now: int, day: date | None = None) -> FleetPublic:
    """What the dispatcher sees: vehicles and bookings of ``day`` (today), re-optimisations."""
    zone = runtime.config.zone
    day_start, day_end = _day_bounds(runtime, now, day)
    bookings = runtime.repo.list_bookings_between(day_start, day_end)
    by_id = {b.id: b for b in bookings}
    view = runtime.views.current  # once: one consistent moment of the live state
    summary = runtime.summary()
    shifts = view.shifts_between(max(now, day_start), day_end)
    shifts.sort(key=lambda v: (vehicle_of(v.shift_id), v.shift_start))
    names = {v.id: v.name or v.id for v in runtime.config.fleet.vehicles}
    return FleetPublic(
        now=at_zone(now, zone),
        day=datetime.fromtimestamp(day_start, zone).date(),
        vehicles=[_vehicle(runtime, v, now, names, by_id) for v in shifts],
        bookings=[_booking(b, zone) for b in bookings],
        reoptimisations=[
            ReoptimisationPublic(
                at=at_zone(a.at, zone),
                drive_saved_s=a.drive_saved_s,
                vehicles_changed=a.vehicles_changed,
                bookings_moved=a.bookings_moved,
            )
            for a in reversed(summary.recent_adoptions if summary else ())
        ],
        incidents=[
            IncidentPublic(
                booking_id=i.booking_id,
                kind=i.kind,
                detail=i.detail,
                since=at_zone(i.opened_at, zone),
            )
            for i in runtime.repo.list_incidents()
        ],
    )


def _vehicle(
    runtime: Runtime,
    v: ShiftView,
    now: int,
    names: dict[str, str],
    bookings: dict[BookingId, Booking],
) -> FleetVehiclePublic:
    zone = runtime.config.zone
    base = vehicle_of(v.shift_id)
    lat, lon = runtime.network.node_coords(v.position_node)
    in_service = v.in_service(now)
    # A driver's device that is online listens for its shift vehicle's plan versions.
    connected = runtime.connected(v.shift_id)
    upcoming = v.stops[:NEXT_STOPS]
    return FleetVehiclePublic(
        vehicle_id=v.shift_id,
        name=names.get(base, base),
        shift_start=at_zone(v.shift_start, zone),
        shift_end=at_zone(v.shift_end, zone),
        in_service=in_service,
        position=PositionPublic(
            lat=lat, lon=lon, at=at_zone(v.position_at, zone), reported=v.reported
        ),
        connected=connected,
        lost_contact=in_service and not connected,
        late=v.late,
        late_s=v.late_s,
        plan_version=v.plan_version,
        stops_left=len(v.stops),
        next_stops=[_stop(runtime, p, bookings) for p in upcoming],
        # The roads from the bus through its next stops, one encoded polyline.
        route=runtime.geometry.line([v.position_node, *(p.node for p in upcoming)]),
    )


def _stop(runtime: Runtime, p: StopView, bookings: dict[BookingId, Booking]) -> FleetStopPublic:
    zone = runtime.config.zone
    booking = bookings.get(p.trip.booking_id)
    pickup = p.stop.kind is StopKind.PICKUP
    name = None
    if booking is not None:
        name = booking.origin.name if pickup else booking.destination.name
    is_break = p.stop.kind is StopKind.BREAK
    lat, lon = runtime.network.node_coords(p.node)
    return FleetStopPublic(
        booking_id=None if is_break else p.trip.booking_id,
        kind=p.stop.kind.value,
        name=name,
        lat=lat,
        lon=lon,
        arrival=at_zone(p.stop.arrival, zone),
        # When the stop is served: a bus early for a pickup window waits for it.
        service_start=at_zone(p.stop.start, zone),
        late_s=p.late_s,
    )


def _booking(b: Booking, zone: tzinfo) -> FleetBookingPublic:
    return FleetBookingPublic(
        booking_id=b.id,
        status=b.status,
        pickup=FleetPickupPublic(
            name=b.origin.name,
            window_start=at_zone(b.pickup_window_start, zone),
            window_end=at_zone(b.pickup_window_end, zone),
        ),
        dropoff=FleetDropoffPublic(
            name=b.destination.name, latest_arrival=at_zone(b.latest_arrival, zone)
        ),
        pickup_eta=maybe_at_zone(b.planned_pickup, zone),
        passengers=b.passengers,
        wheelchairs=b.wheelchairs,
        vehicle_id=b.vehicle_id,
    )


@router.get(
    "/ops/fleet",
    response_model=FleetPublic,
    summary="The fleet now (dispatcher view)",
    responses=problems(401, 403),
)
async def fleet(
    request: Request,
    _staff: CurrentAgent,
    day: Annotated[date | None, Query(description="A service day (default: today)")] = None,
) -> FleetPublic:
    """Vehicles of the day's shifts (position, plan, late, lost contact), the day's
    bookings, the latest re-optimisations, and open incidents (confirmed bookings that no
    bus's plan holds: call the rider, cancel or rebook)."""
    runtime = _runtime(request)
    return await run_in_threadpool(fleet_view, runtime, runtime.clock(), day)


# ---- the rider's bus --------------------------------------------------------------------


def bus_on_its_way(runtime: Runtime, booking_id: BookingId) -> VehiclePosition | None:
    """Where the booking's bus is, once it really drives to the rider or carries them.

    "On its way" means: the driver's device is connected (so the position is live, not the
    depot of a bus nobody drives yet), the rider's pickup is the bus's next stop, and the
    plan has the bus leave for it now (not a pickup an hour ahead, waited for at the depot).
    """
    view = runtime.views.current
    trip = view.trips.get(booking_id)
    if trip is None or trip.shift_id is None or trip.is_break:
        return None
    shift = view.shifts.get(trip.shift_id)
    now = runtime.clock()
    if shift is None or not shift.in_service(now):
        return None
    if not runtime.connected(shift.shift_id):
        return None
    route = shift.route
    next_stop = route.stops[0] if route and route.stops else None
    heading_here = (
        route is not None
        and next_stop is not None
        and str(next_stop.request_id) == booking_id
        and next_stop.kind is StopKind.PICKUP
        and route.departure <= now
    )
    if not heading_here and trip.status is not BookingStatus.ON_BOARD:
        return None
    lat, lon = runtime.network.node_coords(shift.position_node)
    return VehiclePosition(lat=lat, lon=lon, at=at_zone(shift.position_at, runtime.config.zone))


@router.get(
    "/bookings/{booking_id}/vehicle",
    response_model=BookingVehiclePublic,
    summary="The rider's bus, once it is on its way",
    responses=problems(401, 404),
)
async def booking_vehicle(
    request: Request, booking_id: BookingIdPath, access: BookingAccessDep
) -> BookingVehiclePublic:
    """The bus's last reported position while it drives to the pickup or carries the
    rider, else ``null``. Booking access token or staff token."""
    runtime = _runtime(request)

    def load() -> BookingVehiclePublic:
        booking = runtime.booking.authorise(booking_id, access.token, access.staff is not None)
        return BookingVehiclePublic(vehicle=bus_on_its_way(runtime, booking.id))

    return await run_in_threadpool(load)
