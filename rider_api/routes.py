"""Rider and hotline routes: stops, place search, quotes, bookings."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from dispatch.errors import AuthError, UnavailableError
from dispatch.service.booking import BookingService, PlaceInput, QuoteInput
from dispatch.service.runtime import Runtime
from dispatch.service.unmet import quote_and_record
from dispatch.store.tokens import hash_token, token_matches
from rider_api.deps import BookingIdPath, IdempotencyKey
from rider_api.openapi import problems
from rider_api.schemas.bookings import BookingCreate
from rider_api.schemas.common import LocationIn, localise
from rider_api.schemas.quotes import QuoteCreate

router = APIRouter(prefix="/v1")


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _service(request: Request) -> BookingService:
    return _runtime(request).booking


def _bearer(authorization: str | None) -> str | None:
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return None


def _is_agent(runtime: Runtime, token: str | None) -> bool:
    """Agents (and the admin) may read and cancel any booking."""
    if not token:
        return False
    known = [*runtime.config.tokens.agents, *runtime.settings.agent_tokens]
    known += [t for t in (runtime.config.tokens.admin, runtime.settings.admin_token) if t]
    return any(token_matches(token, hash_token(_secret(t))) for t in known)


def _secret(value: object) -> str:
    getter = getattr(value, "get_secret_value", None)
    return str(getter() if getter else value)


def _epoch(value: datetime | None, runtime: Runtime) -> int | None:
    """An instant as epoch seconds; naive times are the service's local time."""
    if value is None:
        return None
    return int(localise(value, runtime.config.zone).timestamp())


def _place(p: LocationIn) -> PlaceInput:
    return PlaceInput(p.stop_id, p.lat, p.lon)


@router.get("/health", responses=problems(503))
async def health(request: Request) -> dict[str, Any]:
    """The service is up; how the dispatcher is doing (for monitoring).

    ``unplaced`` counts confirmed bookings no bus's plan holds (incidents the dispatcher
    sees in ``GET /v1/ops/fleet``); ``adoptions`` re-optimised plans taken since the start,
    ``bookings_moved`` the bookings they moved to another bus."""
    runtime = _runtime(request)
    summary = await run_in_threadpool(runtime.summary)
    if summary is None:
        raise UnavailableError("the dispatcher engine of this area is not known yet")
    return {
        "status": "ok",
        "vehicles": summary.vehicles,
        "stops": len(runtime.stops),
        "solving": summary.solving,
        "solves": summary.solves,
        "adoptions": summary.adoptions,
        "bookings_moved": summary.bookings_moved,
        "unplaced": summary.unplaced,
    }


@router.post("/quotes", responses=problems(401, 404))
async def quote(
    request: Request,
    body: QuoteCreate,
    authorization: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    runtime = _runtime(request)
    channel = "phone" if _is_agent(runtime, _bearer(authorization)) else "app"
    q = QuoteInput(
        _place(body.origin),
        _place(body.destination),
        _epoch(body.depart_after, runtime),
        _epoch(body.arrive_by, runtime),
        body.passengers,
        body.wheelchairs,
        body.extra_boarding_s,
        body.walker,
    )
    if body.rider_id is not None:
        if channel != "phone":
            raise AuthError("only hotline agents may ask for a registered rider")
        rider = await run_in_threadpool(runtime.repo.get_rider, body.rider_id)
        q = q.with_needs(rider.needs)
    return await run_in_threadpool(quote_and_record, runtime.booking, q, channel)


@router.post("/bookings", status_code=201, responses=problems(401, 404, 409))
async def book(
    request: Request,
    body: BookingCreate,
    idempotency_key: IdempotencyKey = None,
    authorization: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Book an offer. With an ``Idempotency-Key`` (8 to 200 visible characters, unique per
    booking attempt) a retry gets the same answer, also after a 503 or a lost answer."""
    service = _service(request)
    rider = body.rider.model_dump()
    if body.rider_id is not None:
        token = _bearer(authorization)
        if not _is_agent(_runtime(request), token):
            raise AuthError("only hotline agents may book for a registered rider")
        await run_in_threadpool(_runtime(request).repo.get_rider, body.rider_id)
        rider["rider_id"] = body.rider_id
    status, response = await run_in_threadpool(
        service.book, body.offer_id, rider, body.notes or "", idempotency_key, body.model_dump()
    )
    return JSONResponse(response, status_code=status)


@router.get("/bookings/{booking_id}", responses=problems(401, 404))
async def get_booking(
    request: Request,
    booking_id: BookingIdPath,
    authorization: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    runtime = _runtime(request)
    token = _bearer(authorization)
    return await run_in_threadpool(
        runtime.booking.get_booking, booking_id, token, _is_agent(runtime, token)
    )


@router.post("/bookings/{booking_id}/cancel", responses=problems(401, 404, 409))
async def cancel(
    request: Request,
    booking_id: BookingIdPath,
    authorization: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    runtime = _runtime(request)
    token = _bearer(authorization)
    return await run_in_threadpool(
        runtime.booking.cancel, booking_id, token, _is_agent(runtime, token)
    )
