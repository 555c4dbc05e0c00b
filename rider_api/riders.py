"""Hotline routes: find a caller by phone, register a caller, list a caller's bookings.

Agent (or admin) token only: riders' personal data never leaves through these routes
for anybody else.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool

from dispatch.service.runtime import Runtime
from dispatch.store.errors import RiderNotFound
from dispatch.store.records import Address, Rider
from dispatch.store.records import RiderNeeds as StoredNeeds
from rider_api.deps import CurrentAgent
from rider_api.schemas.riders import AddressIn, RiderCreate, RiderNeeds, RiderPublic

router = APIRouter(prefix="/v1/riders", tags=["hotline"])


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


@router.get("", response_model=RiderPublic)
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


@router.post("", response_model=RiderPublic, status_code=201)
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


@router.get("/{rider_id}/bookings")
async def bookings(request: Request, _agent: CurrentAgent, rider_id: str) -> list[dict[str, Any]]:
    """The caller's bookings, newest first, with their promises and current times."""
    runtime = _runtime(request)

    def load() -> list[dict[str, Any]]:
        runtime.repo.get_rider(rider_id)
        return [
            runtime.booking.booking_json(b) for b in runtime.repo.list_bookings_for_rider(rider_id)
        ]

    return await run_in_threadpool(load)
