"""Hotline routes: find or register a caller, list their bookings, their standing orders.

Agent (or admin) token only: riders' personal data never leaves through these routes
for anybody else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool

from dispatch.errors import InputError
from dispatch.service.booking import PlaceInput
from dispatch.service.runtime import Runtime
from dispatch.service.standing_orders import DateOutcome, StandingOrders
from dispatch.store.errors import RiderNotFound, StandingOrderNotFound
from dispatch.store.records import Address, Place, Rider, StandingOrder
from dispatch.store.records import RiderNeeds as StoredNeeds
from rider_api.deps import CurrentAgent, OrderIdPath, RiderIdPath, RuntimeDep, TimeZoneDep
from rider_api.openapi import problems
from rider_api.ops import check_day
from rider_api.schemas.bookings import BookingPublic
from rider_api.schemas.common import LocationIn
from rider_api.schemas.riders import (
    AddressIn,
    RiderCreate,
    RiderNeeds,
    RiderPublic,
    StandingOrderCreate,
    StandingOrderDate,
    StandingOrderReport,
    Weekday,
)

router = APIRouter(prefix="/v1/riders", tags=["hotline"], responses=problems(401, 403))


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _public(r: Rider) -> RiderPublic:
    home = None
    if r.home is not None and r.home.lat is not None and r.home.lon is not None:
        home = AddressIn(label=r.home.text, lat=r.home.lat, lon=r.home.lon)
    needs = RiderNeeds(
        wheelchair=r.needs.wheelchair,
        walker=r.needs.walker,
        extra_boarding_s=r.needs.extra_boarding_s,
    )
    return RiderPublic(
        rider_id=r.id, name=r.name, phone=r.phone or "", language=r.language, needs=needs, home=home
    )


@router.get("", response_model=RiderPublic, responses=problems(404))
async def find_by_phone(
    request: Request,
    _agent: CurrentAgent,
    phone: str = Query(min_length=3, max_length=40, description="The caller's phone number"),
) -> RiderPublic:
    """The registered caller with this phone number (any common German notation)."""
    repo = _runtime(request).repo
    rider = await run_in_threadpool(repo.find_rider_by_phone, phone)
    if rider is None:
        raise RiderNotFound(f"no rider with phone number {phone}")
    return _public(rider)


@router.post("", response_model=RiderPublic, status_code=201, responses=problems(409))
async def create(request: Request, _agent: CurrentAgent, body: RiderCreate) -> RiderPublic:
    """Register a caller with their needs and home address (remembered for next time)."""
    repo = _runtime(request).repo
    needs = StoredNeeds(body.needs.wheelchair, body.needs.walker, body.needs.extra_boarding_s)
    home = Address(body.home.label, body.home.lat, body.home.lon) if body.home else None

    def insert() -> Rider:
        return repo.create_rider(
            body.name, body.phone, language=body.language, needs=needs, home=home
        )

    return _public(await run_in_threadpool(insert))


@router.get("/{rider_id}/bookings", response_model=list[BookingPublic], responses=problems(404))
async def bookings(
    runtime: RuntimeDep, _agent: CurrentAgent, rider_id: RiderIdPath, zone: TimeZoneDep
) -> list[BookingPublic]:
    """The caller's bookings, newest first, with their promises and current times."""
    views = await run_in_threadpool(runtime.booking.rider_bookings, rider_id)
    return [BookingPublic.of(v, zone) for v in views]


# ---- standing orders ---------------------------------------------------------------------

_WEEKDAYS = list(Weekday)


def _standing(runtime: Runtime) -> StandingOrders:
    if runtime.standing is None:  # pragma: no cover - build_runtime always sets it
        raise RuntimeError("standing orders are not set up")
    return runtime.standing


def _iso(runtime: Runtime, t: int | None) -> dt.datetime | None:
    return None if t is None else dt.datetime.fromtimestamp(t, runtime.config.zone)


def _order_public(
    runtime: Runtime,
    order: StandingOrder,
    outcomes: list[DateOutcome],
    cancelled: Sequence[str] | None = None,
) -> StandingOrderReport:
    def place(p: Place) -> LocationIn:
        if p.stop_id is not None:
            return LocationIn(stop_id=p.stop_id)
        return LocationIn(lat=p.lat, lon=p.lon)

    dates = [
        StandingOrderDate(
            date=o.day,
            status=o.status,
            booking_id=o.booking_id,
            pickup_window_start=_iso(runtime, o.pickup_window[0]) if o.pickup_window else None,
            pickup_window_end=_iso(runtime, o.pickup_window[1]) if o.pickup_window else None,
            reason=o.reason,
        )
        for o in outcomes
    ]
    return StandingOrderReport(
        standing_order_id=str(order.id),
        rider_id=order.rider_id,
        weekdays=[_WEEKDAYS[d] for d in order.weekdays],
        time=dt.time.fromisoformat(order.time_of_day),
        time_kind=order.time_kind,  # type: ignore[arg-type]
        origin=place(order.origin),
        destination=place(order.destination),
        passengers=order.passengers,
        wheelchairs=order.wheelchairs,
        start_date=dt.date.fromisoformat(order.valid_from),
        end_date=dt.date.fromisoformat(order.valid_until or order.valid_from),
        exceptions=[dt.date.fromisoformat(d) for d in order.exceptions],
        active=order.active,
        dates=dates,
        not_served=[o.day for o in outcomes if o.status == "not_served"],
        cancelled_bookings=list(cancelled or []),
    )


def _order_id(value: str) -> int:
    if not value.isdigit() or len(value) > 12:
        raise StandingOrderNotFound(f"no standing order {value}")
    return int(value)


@router.post(
    "/{rider_id}/standing-orders",
    response_model=StandingOrderReport,
    status_code=201,
    responses=problems(404, 409),
)
async def create_standing_order(
    request: Request, _agent: CurrentAgent, rider_id: RiderIdPath, body: StandingOrderCreate
) -> StandingOrderReport:
    """A recurring ride (e.g. dialysis): books every date inside the prebooking horizon now,
    later dates as they come into it; reports the dates that could not be served."""
    if body.rider_id is not None and body.rider_id != rider_id:
        raise InputError("rider_id in the body differs from the rider in the path")
    runtime = _runtime(request)
    today = dt.datetime.fromtimestamp(runtime.clock(), runtime.config.zone).date()
    check_day(body.start_date, today, "start_date")
    service = _standing(runtime)

    def create() -> StandingOrderReport:
        origin = runtime.booking.resolve(
            PlaceInput(body.origin.stop_id, body.origin.lat, body.origin.lon), "origin"
        )
        destination = runtime.booking.resolve(
            PlaceInput(body.destination.stop_id, body.destination.lat, body.destination.lon),
            "destination",
        )
        if origin.node == destination.node:
            raise InputError("origin and destination are the same place")
        order = StandingOrder(
            rider_id=rider_id,
            weekdays=tuple(_WEEKDAYS.index(d) for d in body.weekdays),
            time_of_day=body.time.strftime("%H:%M"),
            time_kind=body.time_kind,
            origin=origin,
            destination=destination,
            valid_from=body.start_date.isoformat(),
            valid_until=body.end_date.isoformat(),
            passengers=body.passengers,
            wheelchairs=body.wheelchairs,
            exceptions=tuple(d.isoformat() for d in body.exceptions),
        )
        stored, outcomes = service.create(order)
        return _order_public(runtime, stored, outcomes)

    return await run_in_threadpool(create)


@router.get(
    "/{rider_id}/standing-orders",
    response_model=list[StandingOrderReport],
    responses=problems(404),
)
async def list_standing_orders(
    request: Request, _agent: CurrentAgent, rider_id: RiderIdPath
) -> list[StandingOrderReport]:
    """The rider's active standing orders, each with its dates inside the horizon."""
    runtime = _runtime(request)
    service = _standing(runtime)

    def load() -> list[StandingOrderReport]:
        runtime.repo.get_rider(rider_id)
        return [
            _order_public(runtime, order, service.outcomes(order))
            for order in runtime.repo.list_standing_orders(rider_id)
        ]

    return await run_in_threadpool(load)


@router.get(
    "/{rider_id}/standing-orders/{order_id}",
    response_model=StandingOrderReport,
    responses=problems(404),
)
async def get_standing_order(
    request: Request, _agent: CurrentAgent, rider_id: RiderIdPath, order_id: OrderIdPath
) -> StandingOrderReport:
    runtime = _runtime(request)
    service = _standing(runtime)

    def load() -> StandingOrderReport:
        order = service.get(rider_id, _order_id(order_id))
        return _order_public(runtime, order, service.outcomes(order))

    return await run_in_threadpool(load)


@router.delete(
    "/{rider_id}/standing-orders/{order_id}",
    response_model=StandingOrderReport,
    responses=problems(404, 409),
)
async def cancel_standing_order(
    request: Request, _agent: CurrentAgent, rider_id: RiderIdPath, order_id: OrderIdPath
) -> StandingOrderReport:
    """Stop the order and cancel its bookings that have not started yet."""
    runtime = _runtime(request)
    service = _standing(runtime)

    def stop() -> StandingOrderReport:
        order, cancelled = service.cancel(rider_id, _order_id(order_id))
        return _order_public(runtime, order, service.outcomes(order), cancelled)

    return await run_in_threadpool(stop)
