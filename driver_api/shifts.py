"""REST for the driver's device: start and end the shift, go on and off a break.

``Authorization: Bearer <device token>``. The shift is today's shift of the vehicle
in the service definition; its status and the breaks actually taken are stored.
Ending a shift with riders still to serve, or going on a break with riders on board,
is refused (409) with the reason.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Request
from fastapi.concurrency import run_in_threadpool

from dispatch.engine.events import EventRefused, ShiftEndReported, StopEventKind
from dispatch.errors import AuthError, ConflictError, NotFoundError
from dispatch.service.runtime import Runtime
from dispatch.store.records import Break, ShiftRecord, ShiftStatus
from driver_api.devices import Device
from driver_api.hub import DriverHub
from driver_api.schemas import BreakTaken, DeviceShift
from driver_api.state import get_hub

log = logging.getLogger(__name__)

#: Error answers (problem+json: the service's OpenAPI document adds the content type).
_ERRORS: dict[int, str] = {
    401: "No valid device token",
    404: "The vehicle has no shift today",
    409: "Not possible now (the reason is in `detail`)",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {s: {"description": _ERRORS[s]} for s in statuses}


router = APIRouter(
    prefix="/v1/vehicles/{vehicle_id}", tags=["driver"], responses=problems(401, 404)
)

Authorization = Annotated[str | None, Header()]
#: 1 to 64 characters, no control characters (the address refuses them with 422).
VehicleId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f-\x9f]+$")]


async def _device(hub: DriverHub, vehicle_id: str, authorization: str | None) -> Device:
    token = None
    if authorization and authorization.lower().startswith("bearer "):
        token = authorization[7:].strip()
    device = await hub.authenticate(vehicle_id, token)
    if device is None:
        raise AuthError("this needs the vehicle's device token (Authorization: Bearer …)")
    return device


def _today_shift(runtime: Runtime, vehicle_id: str) -> ShiftRecord:
    """Today's shift of the vehicle, as stored (created from the service definition)."""
    if runtime.fleet is None:  # pragma: no cover - build_runtime always sets it
        raise NotFoundError("the fleet is not set up")
    return runtime.fleet.today(vehicle_id)


def _open_stops(hub: DriverHub, device: Device) -> tuple[int, int]:
    """(stops still to serve, riders on board) on the vehicle's current plan."""
    shift_id = hub.shift_id(device)
    latest = hub.runtime.publisher.latest(shift_id) if shift_id else None
    if latest is None:
        return 0, 0
    stops = [s for s in latest.payload["stops"] if s.get("booking_id")]
    pickups = {s["booking_id"] for s in stops if s["kind"] == "pickup"}
    on_board = {s["booking_id"] for s in stops if s["kind"] == "dropoff"} - pickups
    return len(stops), len(on_board)


def _body(hub: DriverHub, device: Device, shift: ShiftRecord) -> DeviceShift:
    iso = hub.devices.iso
    shift_id = hub.shift_id(device)
    latest = hub.runtime.publisher.latest(shift_id) if shift_id else None
    return DeviceShift(
        vehicle_id=device.vehicle_id,
        shift_id=shift_id,
        status=shift.status.value,
        start=iso(shift.start_at),
        end=iso(shift.end_at),
        breaks=[BreakTaken(start=iso(b.start_at), end=iso(b.end_at)) for b in shift.breaks],
        on_break_since=iso(device.on_break_since) if device.on_break_since else None,
        plan_version=latest.version if latest else None,
        acked_version=device.acked_version,
        connected=device.connections > 0,
    )


@router.get("/shift", response_model=DeviceShift)
async def get_shift(
    request: Request, vehicle_id: VehicleId, authorization: Authorization = None
) -> DeviceShift:
    hub = get_hub(request.app)
    device = await _device(hub, vehicle_id, authorization)
    shift = await run_in_threadpool(_today_shift, hub.runtime, vehicle_id)
    return _body(hub, device, shift)


@router.post("/shift/start", response_model=DeviceShift, responses=problems(409))
async def start_shift(
    request: Request, vehicle_id: VehicleId, authorization: Authorization = None
) -> DeviceShift:
    hub = get_hub(request.app)
    device = await _device(hub, vehicle_id, authorization)
    shift = await run_in_threadpool(_today_shift, hub.runtime, vehicle_id)
    if shift.status is ShiftStatus.ENDED:
        raise ConflictError("today's shift has ended already")
    shift = await run_in_threadpool(
        hub.runtime.repo.set_shift_status, _id(shift), ShiftStatus.ACTIVE
    )
    return _body(hub, device, shift)


@router.post("/shift/end", response_model=DeviceShift, responses=problems(409))
async def end_shift(
    request: Request, vehicle_id: VehicleId, authorization: Authorization = None
) -> DeviceShift:
    hub = get_hub(request.app)
    device = await _device(hub, vehicle_id, authorization)
    shift = await run_in_threadpool(_today_shift, hub.runtime, vehicle_id)
    shift_id = hub.shift_id(device)
    if shift_id is not None:  # the engine decides, atomically with any booking in flight
        commands = await asyncio.wrap_future(hub.runtime.runner.submit(ShiftEndReported(shift_id)))
        refused = next((c for c in commands if isinstance(c, EventRefused)), None)
        if refused is not None:
            raise ConflictError(f"the shift cannot end: {refused.reason}")
    if device.on_break_since is not None:
        shift = await run_in_threadpool(_close_break, hub, device, shift)
    shift = await run_in_threadpool(
        hub.runtime.repo.set_shift_status, _id(shift), ShiftStatus.ENDED
    )
    return _body(hub, device, shift)


@router.post("/break/start", response_model=DeviceShift, responses=problems(409))
async def start_break(
    request: Request, vehicle_id: VehicleId, authorization: Authorization = None
) -> DeviceShift:
    hub = get_hub(request.app)
    device = await _device(hub, vehicle_id, authorization)
    shift = await run_in_threadpool(_today_shift, hub.runtime, vehicle_id)
    if shift.status is not ShiftStatus.ACTIVE:
        raise ConflictError("start the shift before going on a break")
    _, on_board = _open_stops(hub, device)
    if on_board:
        raise ConflictError(f"{on_board} riders are on board; drop them off before a break")
    if device.on_break_since is None:
        device.on_break_since = hub.runtime.clock()
        await _planned_break(hub, device, StopEventKind.ARRIVED)
    return _body(hub, device, shift)


@router.post("/break/end", response_model=DeviceShift, responses=problems(409))
async def end_break(
    request: Request, vehicle_id: VehicleId, authorization: Authorization = None
) -> DeviceShift:
    hub = get_hub(request.app)
    device = await _device(hub, vehicle_id, authorization)
    shift = await run_in_threadpool(_today_shift, hub.runtime, vehicle_id)
    if device.on_break_since is None:
        raise ConflictError("the vehicle is not on a break")
    shift = await run_in_threadpool(_close_break, hub, device, shift)
    await _planned_break(hub, device, StopEventKind.DEPARTED)
    return _body(hub, device, shift)


async def _planned_break(hub: DriverHub, device: Device, event: StopEventKind) -> None:
    """A break taken now counts as the plan's next planned break (begun or over)."""
    shift_id = hub.shift_id(device)
    break_id = hub.next_planned_break(shift_id) if shift_id else None
    if shift_id is None or break_id is None:
        return  # an unplanned break: recorded with the shift only
    refused = await hub.planned_break(shift_id, break_id, event, hub.runtime.clock())
    if refused is not None:
        log.info("%s: planned break %s not updated: %s", device.vehicle_id, break_id, refused)


def _close_break(hub: DriverHub, device: Device, shift: ShiftRecord) -> ShiftRecord:
    assert device.on_break_since is not None
    taken = Break(device.on_break_since, max(device.on_break_since, hub.runtime.clock()))
    device.on_break_since = None
    return hub.runtime.repo.add_shift(replace(shift, breaks=(*shift.breaks, taken)))


def _id(shift: ShiftRecord) -> int:
    assert shift.id is not None
    return shift.id
