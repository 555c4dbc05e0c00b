"""The rules that turn a rider's request into solver requests, offers and trips."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

from dispatch.engine.events import (
    BookingRejected,
    BookingRequested,
    BookingRestored,
    Promise,
    QuoteRequested,
    TripSpec,
    VehicleAdded,
)
from dispatch.engine.locations import LocationTable
from dispatch.engine.params import EngineParams
from dispatch.engine.state import OfferRecord, Trip
from dispatch.errors import ConflictError
from dispatch.model import (
    NO_LIMIT_S,
    BookingId,
    BookingStatus,
    Request,
    RequestId,
    ShiftId,
    TimeWindow,
)
from dispatch.solver.insertion import Offer
from dispatch.solver.params import PromiseParams
from dispatch.solver.reassign import ReassignedOffer


class CannotCancelError(ConflictError):
    """The booking is past the point where it can be cancelled."""


class DuplicateVehicleError(ConflictError):
    """A vehicle id that is already in use."""


def service_seconds(spec: TripSpec, params: EngineParams) -> tuple[int, int]:
    """Boarding and alighting seconds: longer with wheelchairs or extra boarding needs."""
    extra = params.service.wheelchair_extra_s * spec.wheelchairs + spec.extra_boarding_s
    return params.service.boarding_s + extra, params.service.alighting_s + extra


def quote_request(
    quote_id: str, spec: TripSpec, now: int, table: LocationTable, params: EngineParams
) -> tuple[Request, int] | str:
    """The solver request for a quote (not yet promised), or why it cannot be asked."""
    pickup, dropoff = table.index_many([spec.pickup_node, spec.dropoff_node])
    direct = table.seconds(pickup, dropoff)
    max_ride = params.ride_time.max_ride_s(direct)
    board, alight = service_seconds(spec, params)
    windows = _windows(spec, now, direct, max_ride, board, params)
    if isinstance(windows, str):
        return windows
    pickup_window, dropoff_window = windows
    request = Request(
        id=RequestId(f"quote:{quote_id}"),
        pickup=pickup,
        dropoff=dropoff,
        load=(spec.passengers - spec.wheelchairs, spec.wheelchairs),
        pickup_window=pickup_window,
        dropoff_window=dropoff_window,
        max_ride_s=max_ride,
        pickup_service_s=board,
        dropoff_service_s=alight,
        desired_pickup=pickup_window.start if spec.arrive_by is None else None,
    )
    return request, max_ride


def _windows(
    spec: TripSpec, now: int, direct: int, max_ride: int, board: int, params: EngineParams
) -> tuple[TimeWindow, TimeWindow] | str:
    if spec.arrive_by is None:
        earliest = max(now, spec.depart_after if spec.depart_after is not None else now)
        return TimeWindow(earliest, earliest + params.max_wait_s), TimeWindow(0, NO_LIMIT_S)
    latest_pickup = spec.arrive_by - direct - board
    earliest_pickup = max(now, spec.arrive_by - params.arrive_early_s - max_ride - board)
    if latest_pickup < earliest_pickup:
        return "it is too late to arrive by the requested time"
    arrive = TimeWindow(max(0, spec.arrive_by - params.arrive_early_s), spec.arrive_by)
    return TimeWindow(earliest_pickup, latest_pickup), arrive


def promise_params(params: EngineParams) -> PromiseParams:
    return PromiseParams(
        window_before_s=(
            params.pickup_window_s // 2
            if params.pickup_window_before_s is None
            else params.pickup_window_before_s
        ),
        window_width_s=params.pickup_window_s,
        max_wait_only=params.promise_policy == "max_wait",
    )


def offer_record(
    event: QuoteRequested,
    k: int,
    offer: Offer | ReassignedOffer,
    request: Request,
    max_ride: int,
    now: int,
    params: EngineParams,
) -> OfferRecord:
    promise = Promise(offer.pickup_window, offer.latest_arrival)
    return OfferRecord(
        offer_id=f"{event.quote_id}-{k + 1}",
        quote_id=event.quote_id,
        spec=event.trip,
        request=request,
        promise=promise,
        vehicle_id=offer.vehicle_id,
        expires_at=now + params.offer_hold_s,
        max_ride_s=max_ride,
        pickup_service_s=request.pickup_service_s,
        dropoff_service_s=request.dropoff_service_s,
    )


def offer_problem(
    offer: OfferRecord | None, event: BookingRequested, now: int, known: bool = False
) -> BookingRejected | None:
    """Why ``event`` cannot be booked on ``offer`` (``known``: its booking id is taken)."""
    if known:  # a second trip under one id would replace the first one's promise
        return BookingRejected(
            event.booking_id, event.offer_id, "a booking with this id exists", "duplicate"
        )
    if offer is None:
        return BookingRejected(event.booking_id, event.offer_id, "unknown offer", "unknown_offer")
    if offer.used:
        return BookingRejected(event.booking_id, event.offer_id, "offer already booked", "used")
    if now > offer.expires_at:
        return BookingRejected(event.booking_id, event.offer_id, "the offer has expired", "expired")
    return None


def promised_request(offer: OfferRecord, rid: RequestId) -> Request:
    """The offer's request as a booking: its promise becomes a hard constraint."""
    latest = offer.promise.latest_arrival
    dropoff = offer.request.dropoff_window
    return replace(
        offer.request,
        id=rid,
        pickup_window=offer.promise.pickup_window,
        dropoff_window=TimeWindow(min(dropoff.start, latest), latest),
        promised=True,
    )


def trip_from_offer(booking_id: BookingId, offer: OfferRecord, vehicle_id: ShiftId) -> Trip:
    return Trip(
        booking_id=booking_id,
        spec=offer.spec,
        promise=offer.promise,
        max_ride_s=offer.max_ride_s,
        pickup_service_s=offer.pickup_service_s,
        dropoff_service_s=offer.dropoff_service_s,
        vehicle_id=vehicle_id,
        desired_pickup=offer.request.desired_pickup,
    )


def restored_trip(event: BookingRestored, table: LocationTable, params: EngineParams) -> Trip:
    pickup, dropoff = table.index(event.trip.pickup_node), table.index(event.trip.dropoff_node)
    max_ride = event.max_ride_s
    if max_ride is None:  # stored before bookings kept their limit: today's rule
        max_ride = params.ride_time.max_ride_s(table.seconds(pickup, dropoff))
    board, alight = service_seconds(event.trip, params)
    return Trip(
        booking_id=event.booking_id,
        spec=event.trip,
        promise=event.promise,
        max_ride_s=max_ride,
        pickup_service_s=board,
        dropoff_service_s=alight,
        status=event.status,
        vehicle_id=event.vehicle_id,
        boarded_at=event.boarded_at,
        desired_pickup=event.trip.depart_after if event.trip.arrive_by is None else None,
    )


def too_large_reason(spec: TripSpec, capacities: Iterable[tuple[int, int]]) -> str | None:
    """Why no vehicle of the fleet could ever take the group, or ``None`` if one could."""
    seats, places = spec.passengers - spec.wheelchairs, spec.wheelchairs
    sizes = list(capacities)
    if not sizes or any(seats <= s and places <= w for s, w in sizes):
        return None
    most_seats, most_places = max(s for s, _ in sizes), max(w for _, w in sizes)
    if places > most_places:
        return (
            f"{places} wheelchair places needed, but no bus of the fleet has more than "
            f"{most_places} (please call the hotline)"
        )
    return (
        f"{seats} seats needed, but no bus of the fleet has more than {most_seats} "
        "(larger groups please call the hotline)"
    )


def no_offer_reason(spec: TripSpec) -> str:
    if spec.wheelchairs:
        return "no bus with a free wheelchair place can take this trip at the requested time"
    return "no bus can take this trip at the requested time"


def alternative_trips(spec: TripSpec, now: int, params: EngineParams) -> Iterator[TripSpec]:
    """The same trip 15, 30, 60 and 90 minutes later, then earlier (if still in the future)."""
    for minutes in (15, 30, 60, 90, -15, -30):
        shift = minutes * 60
        if spec.arrive_by is not None:
            if spec.arrive_by + shift > now:
                yield replace(spec, arrive_by=spec.arrive_by + shift)
            continue
        base = spec.depart_after if spec.depart_after is not None else now
        if base + shift >= now:
            yield replace(spec, depart_after=base + shift)


def break_id(shift: ShiftId, k: int) -> BookingId:
    """The id of the ``k``-th planned break of ``shift`` (an id, never parsed)."""
    return BookingId(f"break-{k}@{shift}")


def break_trip(event: VehicleAdded, k: int, start: int, end: int, params: EngineParams) -> Trip:
    """The ``k``-th planned break of a new shift vehicle, as a trip pinned to it.

    It is "on board" from the shift start, so only its one stop remains: at the depot,
    starting between the planned start and ``break_flex_s`` later, lasting ``end - start``.
    """
    latest_start = start + params.break_flex_s
    window = TimeWindow(start, latest_start)
    return Trip(
        booking_id=break_id(event.vehicle_id, k),
        spec=TripSpec(event.depot_node, event.depot_node, 1),
        promise=Promise(window, latest_start + (end - start)),
        max_ride_s=NO_LIMIT_S,
        pickup_service_s=0,
        dropoff_service_s=end - start,
        status=BookingStatus.ON_BOARD,
        vehicle_id=event.vehicle_id,
        boarded_at=event.shift_start,
        is_break=True,
    )
