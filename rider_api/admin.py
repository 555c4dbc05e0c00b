"""Admin routes: the fleet's vehicles and their shifts (admin token only).

A vehicle added here gets a device token, shown once, for its driver app. A shift
added here becomes bookable at once if it lies inside the prebooking horizon (later
shifts as they come into it). Vehicles and shifts of the service definition are
listed too, but are changed in the service definition, not here.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool

from dispatch.service.device_tokens import issue_token
from dispatch.service.fleet import Fleet, ShiftDay
from dispatch.service.runtime import Runtime
from dispatch.store.records import ShiftRecord, VehicleRecord
from rider_api.deps import AdminDep, VehicleIdPath
from rider_api.openapi import problems
from rider_api.ops import check_day
from rider_api.schemas.common import Coordinates, localise
from rider_api.schemas.fleet import (
    DeviceTokenPublic,
    ShiftCreate,
    ShiftPublic,
    VehicleCreate,
    VehicleCreatedPublic,
    VehiclePublic,
)

router = APIRouter(prefix="/v1/admin", tags=["admin"], responses=problems(401, 403))


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _fleet(runtime: Runtime) -> Fleet:
    if runtime.fleet is None:  # pragma: no cover - build_runtime always sets it
        raise RuntimeError("the fleet is not set up")
    return runtime.fleet


def _vehicle(v: VehicleRecord) -> VehiclePublic:
    return VehiclePublic(
        vehicle_id=v.id,
        name=v.name,
        seats=v.seats,
        wheelchair_places=v.wheelchair_places,
        depot=Coordinates(lat=v.depot_lat, lon=v.depot_lon),
    )


@router.get("/vehicles", response_model=list[VehiclePublic])
async def list_vehicles(request: Request, _admin: AdminDep) -> list[VehiclePublic]:
    """Every vehicle of the service (from the service definition and added here)."""
    fleet = _fleet(_runtime(request))
    vehicles = await run_in_threadpool(fleet.vehicles)
    return [_vehicle(v) for v in sorted(vehicles.values(), key=lambda v: v.id)]


@router.post(
    "/vehicles", response_model=VehicleCreatedPublic, status_code=201, responses=problems(409)
)
async def add_vehicle(
    request: Request, _admin: AdminDep, body: VehicleCreate
) -> VehicleCreatedPublic:
    """Register a vehicle; the answer holds its device token, shown this once only."""
    fleet = _fleet(_runtime(request))
    record, token = await run_in_threadpool(
        fleet.add_vehicle,
        body.vehicle_id,
        body.name or "",
        body.seats,
        body.wheelchair_places,
        (body.depot.lat, body.depot.lon),
    )
    return VehicleCreatedPublic(**_vehicle(record).model_dump(), device_token=token)


@router.post(
    "/vehicles/{vehicle_id}/device-token",
    response_model=DeviceTokenPublic,
    status_code=201,
    responses=problems(404, 409),
)
async def rotate_device_token(
    request: Request, _admin: AdminDep, vehicle_id: VehicleIdPath
) -> DeviceTokenPublic:
    """Issue a new device token for the vehicle's driver app, shown this once only; the
    old one stops working at once. (A token set in the service definition is changed there.)"""
    runtime = _runtime(request)
    token = await run_in_threadpool(
        issue_token, runtime.repo, runtime.config, vehicle_id, rotate=True
    )
    return DeviceTokenPublic(vehicle_id=vehicle_id, device_token=token)


@router.post("/shifts", response_model=ShiftPublic, status_code=201, responses=problems(404, 409))
async def add_shift(request: Request, _admin: AdminDep, body: ShiftCreate) -> ShiftPublic:
    """Plan a shift (one per vehicle and day; times without offset are service local time)."""
    runtime = _runtime(request)
    fleet = _fleet(runtime)
    zone = runtime.config.zone
    start = int(localise(body.start, zone).timestamp())
    end = int(localise(body.end, zone).timestamp())

    def add() -> ShiftRecord:
        shift = fleet.add_shift(
            body.vehicle_id,
            start,
            end,
            (body.start_depot.lat, body.start_depot.lon) if body.start_depot else None,
            (body.end_depot.lat, body.end_depot.lon) if body.end_depot else None,
        )
        runtime.ensure_shifts()  # bookable at once when inside the prebooking horizon
        return shift

    shift = await run_in_threadpool(add)
    return _shift(runtime, shift)


@router.get("/shifts", response_model=list[ShiftPublic])
async def list_shifts(
    request: Request,
    _admin: AdminDep,
    first: Annotated[
        date | None, Query(alias="from", description="first day (default today)")
    ] = None,
    days: Annotated[int, Query(ge=1, le=62, description="how many days")] = 7,
    vehicle_id: Annotated[str | None, Query(max_length=64)] = None,
) -> list[ShiftPublic]:
    """The shifts on ``days`` days from ``from``: the service definition's and the admin's."""
    runtime = _runtime(request)
    fleet = _fleet(runtime)
    zone = runtime.config.zone
    today = datetime.fromtimestamp(runtime.clock(), zone).date()
    start_day = check_day(first, today, "from") if first is not None else today
    last = start_day + timedelta(days=days - 1)
    found = await run_in_threadpool(fleet.shift_days, vehicle_id, start_day, last)
    return [_shift_day(runtime, s) for s in found]


def _shift_day(runtime: Runtime, s: ShiftDay) -> ShiftPublic:
    if s.record is not None:
        return _shift(runtime, s.record, s.source)
    zone = runtime.config.zone
    return ShiftPublic(
        shift_id=None,
        vehicle_id=s.vehicle_id,
        start=datetime.fromtimestamp(s.start, zone),
        end=datetime.fromtimestamp(s.end, zone),
        start_depot=Coordinates(lat=s.depot[0], lon=s.depot[1]),
        source=s.source,
        status="planned",
    )


def _shift(runtime: Runtime, s: ShiftRecord, source: str = "admin") -> ShiftPublic:
    zone = runtime.config.zone
    return ShiftPublic(
        shift_id=str(s.id),
        vehicle_id=s.vehicle_id,
        start=datetime.fromtimestamp(s.start_at, zone),
        end=datetime.fromtimestamp(s.end_at, zone),
        start_depot=Coordinates(lat=s.start_depot_lat, lon=s.start_depot_lon),
        end_depot=Coordinates(lat=s.end_depot_lat, lon=s.end_depot_lon),
        source=source,
        status=s.status.value,
    )
