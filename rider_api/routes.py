"""Rider and hotline routes: quotes, bookings, the service's health."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, tzinfo

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool

from dispatch.errors import AuthError, UnavailableError
from dispatch.service.booking import PlaceInput, QuoteInput, RiderContact
from dispatch.service.unmet import quote_and_record
from rider_api.deps import (
    BookingAccessDep,
    BookingIdPath,
    IdempotencyKey,
    OptionalPrincipal,
    RuntimeDep,
    TimeZoneDep,
)
from rider_api.openapi import OPTIONAL_TOKEN, problems
from rider_api.schemas.bookings import BookingCreate, BookingCreatedPublic, BookingPublic
from rider_api.schemas.common import LocationIn, localise
from rider_api.schemas.quotes import QuoteCreate, QuotePublic
from rider_api.schemas.service import HealthPublic

router = APIRouter(prefix="/v1")


def _epoch(value: datetime | None, zone: tzinfo) -> int | None:
    """An instant as epoch seconds; naive times are the service's local time."""
    if value is None:
        return None
    return int(localise(value, zone).timestamp())


def _place(p: LocationIn) -> PlaceInput:
    return PlaceInput(p.stop_id, p.lat, p.lon)


@router.get("/health", response_model=HealthPublic, responses=problems(503), tags=["monitoring"])
async def health(runtime: RuntimeDep) -> HealthPublic:
    """The service is up; how the dispatcher is doing (for monitoring).

    ``unplaced`` counts confirmed bookings no bus's plan holds (incidents the dispatcher
    sees in ``GET /v1/ops/fleet``); ``adoptions`` re-optimised plans taken since the start,
    ``bookings_moved`` the bookings they moved to another bus."""
    summary = await run_in_threadpool(runtime.summary)
    if summary is None:
        raise UnavailableError("the dispatcher engine of this area is not known yet")
    return HealthPublic(
        status="ok",
        vehicles=summary.vehicles,
        stops=len(runtime.stops),
        solving=summary.solving,
        solves=summary.solves,
        adoptions=summary.adoptions,
        bookings_moved=summary.bookings_moved,
        unplaced=summary.unplaced,
    )


@router.post(
    "/quotes",
    tags=["rides"],
    response_model=QuotePublic,
    responses=problems(401, 404),
    openapi_extra=OPTIONAL_TOKEN,
)
async def quote(
    body: QuoteCreate, runtime: RuntimeDep, staff: OptionalPrincipal, zone: TimeZoneDep
) -> QuotePublic:
    """Offers for a ride (or why there is none, and times that would work). With a staff
    token the request counts as a hotline (phone) request."""
    q = QuoteInput(
        _place(body.origin),
        _place(body.destination),
        _epoch(body.depart_after, zone),
        _epoch(body.arrive_by, zone),
        body.passengers,
        body.wheelchairs,
        body.extra_boarding_s,
        body.walker,
    )
    if body.rider_id is not None:
        if staff is None:
            raise AuthError("only hotline agents may ask for a registered rider")
        rider = await run_in_threadpool(runtime.repo.get_rider, body.rider_id)
        q = q.with_needs(rider.needs)
    channel = "phone" if staff is not None else "app"
    result = await run_in_threadpool(quote_and_record, runtime.booking, q, channel)
    return QuotePublic.of(result, zone)


@router.post(
    "/bookings",
    tags=["rides"],
    status_code=201,
    response_model=BookingCreatedPublic,
    responses=problems(401, 404, 409),
    openapi_extra=OPTIONAL_TOKEN,
)
async def book(
    body: BookingCreate,
    response: Response,
    runtime: RuntimeDep,
    staff: OptionalPrincipal,
    zone: TimeZoneDep,
    idempotency_key: IdempotencyKey = None,
) -> BookingCreatedPublic:
    """Book an offer. With an ``Idempotency-Key`` (8 to 200 visible characters, unique per
    booking attempt) a retry gets the same answer, also after a 503 or a lost answer."""
    rider = RiderContact(body.rider.name, None, body.notes or "")
    if body.rider_id is not None:
        if staff is None:
            raise AuthError("only hotline agents may book for a registered rider")
        await run_in_threadpool(runtime.repo.get_rider, body.rider_id)
        rider = replace(rider, rider_id=body.rider_id)

    answer = await run_in_threadpool(
        runtime.booking.book, body.offer_id, rider, idempotency_key, body.model_dump()
    )
    response.status_code = answer.status_code
    if answer.view is not None:
        return BookingCreatedPublic.of(answer.view, zone)
    return BookingCreatedPublic.model_validate(answer.legacy)


@router.get(
    "/bookings/{booking_id}",
    tags=["rides"],
    response_model=BookingPublic,
    responses=problems(401, 404),
)
async def get_booking(
    booking_id: BookingIdPath, runtime: RuntimeDep, access: BookingAccessDep, zone: TimeZoneDep
) -> BookingPublic:
    """The booking, its promise and current ETAs (booking access token or staff token)."""
    view = await run_in_threadpool(
        runtime.booking.get_booking, booking_id, access.token, access.staff is not None
    )
    return BookingPublic.of(view, zone)


@router.post(
    "/bookings/{booking_id}/cancel",
    tags=["rides"],
    response_model=BookingPublic,
    responses=problems(401, 404, 409),
)
async def cancel(
    booking_id: BookingIdPath, runtime: RuntimeDep, access: BookingAccessDep, zone: TimeZoneDep
) -> BookingPublic:
    """Cancel the booking (answered once the cancellation is stored)."""
    view = await run_in_threadpool(
        runtime.booking.cancel, booking_id, access.token, access.staff is not None
    )
    return BookingPublic.of(view, zone)
