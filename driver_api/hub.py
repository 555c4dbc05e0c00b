"""What the driver API does with a device's messages, without the websocket plumbing.

A stop event goes to the engine together with its message id; the engine's decision
(a rider boarded, a plan re-timed) and the message are committed in one transaction, so
a resend takes effect once, and a report the database did not take is answered with an
``unavailable`` error (the device sends it again) — never with "ok".
Positions are taken in at once and passed on in batches: the engine, the database
and the riders' ETAs see each vehicle's latest position every ``position_flush_s``,
however many reports arrive in between, so a flood of positions costs each sender
the same small amount of work.
"""

from __future__ import annotations

import asyncio
import logging

from fastapi.concurrency import run_in_threadpool

from dispatch.engine.events import (
    EventRefused,
    StopEventKind,
    StopEventReported,
    TripStatusChanged,
)
from dispatch.errors import InputError, SnapError, UnavailableError
from dispatch.model import BookingId, ShiftId, VehicleId
from dispatch.service.plan_payload import PlanPayload, needs_roads, with_roads
from dispatch.service.runtime import Runtime
from dispatch.service.sink import StopEventRecord
from dispatch.store.changes import DuplicateStopEvent
from dispatch.store.errors import BookingNotFound
from dispatch.store.records import StopEvent
from driver_api.devices import Device, Devices, StreamParams
from driver_api.riders import RiderDirectory
from driver_api.schemas import Ack, ErrorMessage, Ok, Position, Reply, StopEventIn

log = logging.getLogger(__name__)

BOOKING_KINDS = ("pickup", "dropoff")
#: Stops of the engine's plan: ``<booking id>/<kind>`` or ``<break id>/break``.
PLAN_KINDS = (*BOOKING_KINDS, "break")
#: The error code for a report the database could not take: send it again.
UNAVAILABLE = "unavailable"


class DriverHub:
    def __init__(self, runtime: Runtime, params: StreamParams) -> None:
        self.runtime = runtime
        self.params = params
        self.devices = Devices(runtime.config, runtime.clock, params, runtime.repo)
        self.riders = RiderDirectory(runtime.repo)
        self._flusher: asyncio.Task[None] | None = None
        self.positions_accepted = 0

    def start(self) -> None:
        """Start passing positions on (once, on the serving event loop)."""
        if self._flusher is None:
            self._flusher = asyncio.get_running_loop().create_task(self._flush_forever())

    async def authenticate(self, vehicle_id: str, token: str | None) -> Device | None:
        """The device if the token is right (the stored hash is read in a worker thread)."""
        return await run_in_threadpool(self.devices.authenticate, vehicle_id, token)

    def shift_id(self, device: Device) -> ShiftId | None:
        return self.devices.shift_id(device.vehicle_id, self.runtime.shift_days)

    # ---- plans ----------------------------------------------------------------------

    async def plan_payload(self, payload: PlanPayload) -> PlanPayload:
        """The published plan with the roads to its stops and rider names (each looked up
        once per booking), as the driver gets it."""
        missing = self.riders.missing(payload)
        if missing:
            await run_in_threadpool(self.riders.fetch, missing)
        if needs_roads(payload):
            payload = await run_in_threadpool(with_roads, payload, self.runtime.geometry)
        return self.riders.enrich(payload)

    # ---- client messages --------------------------------------------------------------

    def ack(self, device: Device, shift_id: ShiftId | None, msg: Ack) -> Reply:
        if device.acked_shift != shift_id or (device.acked_version or 0) < msg.version:
            device.acked_version, device.acked_shift = msg.version, shift_id
        return Ok(id=msg.id)

    def position(self, device: Device, msg: Position) -> Reply:
        try:
            at = self.devices.epoch(msg.at)
        except InputError as exc:
            return _error(msg.id, "invalid_message", str(exc))
        device.position = (msg.lat, msg.lon, at)
        device.dirty = True
        self.positions_accepted += 1
        return Ok(id=msg.id)

    async def stop_event(self, device: Device, shift_id: ShiftId | None, msg: StopEventIn) -> Reply:
        ref, kind = _parse_stop_id(msg.stop_id)
        booking_id = ref if kind in BOOKING_KINDS else None
        if kind is None:
            return _error(msg.id, "unknown_stop", f"no stop {msg.stop_id!r} on this plan")
        if shift_id is None:
            return _error(msg.id, "no_shift", "this vehicle has no shift today")
        try:
            at = self.devices.epoch(msg.at)
        except InputError as exc:
            return _error(msg.id, "invalid_message", str(exc))
        record = StopEvent(device.vehicle_id, booking_id, kind, msg.event, at, msg.id)
        try:
            if kind == "break" and ref is not None:  # a planned break of the engine's plan
                return await self._break_event(msg.id, shift_id, ref, msg.event, record)
            return await self._stop_event(msg, shift_id, booking_id, kind, record)
        except DuplicateStopEvent:
            return Ok(id=msg.id, duplicate=True, detail="already received")
        except UnavailableError as exc:
            return _error(msg.id, UNAVAILABLE, f"{exc} (send it again)")

    async def _stop_event(
        self,
        msg: StopEventIn,
        shift_id: ShiftId,
        booking_id: BookingId | None,
        kind: str,
        record: StopEvent,
    ) -> Reply:
        if booking_id is not None and not await run_in_threadpool(self._booking_exists, booking_id):
            return _error(msg.id, "unknown_stop", f"no stop {msg.stop_id!r} on this plan")
        if booking_id is None:
            if not await run_in_threadpool(self.runtime.repo.record_stop_event, record):
                return Ok(id=msg.id, duplicate=True, detail="already received")
            return Ok(id=msg.id, detail=f"{msg.event} at {kind} noted")
        event = StopEventReported(shift_id, booking_id, StopEventKind(msg.event), record.at)
        persist = StopEventRecord(record)
        commands = await asyncio.wrap_future(self.runtime.runner.submit(event, persist))
        refused = next((c for c in commands if isinstance(c, EventRefused)), None)
        if refused is not None:
            return _error(msg.id, "refused", refused.reason)
        changed = next((c for c in commands if isinstance(c, TripStatusChanged)), None)
        detail = f"booking {booking_id} is {changed.status.value}" if changed else msg.event
        return Ok(id=msg.id, detail=detail)

    async def _break_event(
        self,
        message_id: str,
        shift_id: ShiftId,
        break_id: BookingId,
        event: str,
        record: StopEvent,
    ) -> Reply:
        """Arrived: the break begins (at the depot); departed: it is over."""
        if event not in ("arrived", "departed"):
            return _error(message_id, "refused", f"{event} does not apply to a break")
        refused = await self.planned_break(
            shift_id, break_id, StopEventKind(event), record.at, StopEventRecord(record)
        )
        if refused is not None:
            return _error(message_id, "refused", refused)
        return Ok(id=message_id, detail=f"break {event}")

    async def planned_break(
        self,
        shift_id: ShiftId,
        break_id: BookingId,
        event: StopEventKind,
        at: int,
        persist: StopEventRecord | None = None,
    ) -> str | None:
        """Feed a planned break's begin or end to the engine; the reason if it refuses."""
        report = StopEventReported(shift_id, break_id, event, at)
        commands = await asyncio.wrap_future(self.runtime.runner.submit(report, persist))
        refused = next((c for c in commands if isinstance(c, EventRefused)), None)
        return None if refused is None else refused.reason

    def next_planned_break(self, shift_id: ShiftId) -> BookingId | None:
        """The first planned break on the vehicle's current plan, if any."""
        latest = self.runtime.publisher.latest(shift_id)
        if latest is None:
            return None
        stop = next((s for s in latest.payload["stops"] if s["kind"] == "break"), None)
        return None if stop is None else _parse_stop_id(stop["stop_id"])[0]

    def _booking_exists(self, booking_id: str) -> bool:
        try:
            self.runtime.repo.get_booking(booking_id)
        except BookingNotFound:
            return False
        return True

    # ---- positions ----------------------------------------------------------------------

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(self.params.position_flush_s)
            try:
                await self.flush_positions()
            except Exception:
                log.exception("passing positions on failed")

    async def flush_positions(self) -> None:
        batch = []
        for device in self.devices.all():
            if device.dirty and device.position is not None:
                device.dirty = False
                batch.append((device.vehicle_id, self.shift_id(device), device.position))
        if batch:
            await run_in_threadpool(self._pass_on, batch)

    def _pass_on(
        self, batch: list[tuple[VehicleId, ShiftId | None, tuple[float, float, int]]]
    ) -> None:
        """Engine (vehicle start for re-optimisation), database, riders' ETAs."""
        rt = self.runtime
        for vehicle_id, shift_id, (lat, lon, at) in batch:
            try:
                rt.repo.update_vehicle_position(vehicle_id, lat, lon, at)
            except UnavailableError:  # the engine and the ETAs still get it
                log.warning("position of %s not stored: the database is unavailable", vehicle_id)
            if shift_id is None:
                continue
            try:
                node = rt.network.snap(lat, lon).node
            except SnapError as exc:
                log.warning("position of %s not on the road network: %s", vehicle_id, exc)
                continue
            rt.report_position(shift_id, node, at)


def _parse_stop_id(stop_id: str) -> tuple[BookingId | None, str | None]:
    """``b_…/pickup`` → (booking, kind); ``break-…/break`` → (break, "break"); ``depot``."""
    if stop_id == "depot":
        return None, "depot"
    ref, _, kind = stop_id.rpartition("/")
    if not ref or kind not in PLAN_KINDS:
        return None, None
    return BookingId(ref), kind


def _error(message_id: str | None, code: str, detail: str) -> Reply:
    return ErrorMessage(id=message_id, code=code, detail=detail)
