"""``/v1/vehicles/{vehicle_id}/stream``: the live plan to the driver, events back.

One connection runs three tasks: a reader (client messages, answered in order), a
writer (plan versions from the publisher) and a heartbeat. The publisher's queue per
connection is bounded and keeps the newest versions (each holds the whole plan, so a
client that falls behind just skips superseded ones); every send has a time limit,
so a client that stops reading is disconnected (1013) once its socket stops taking
messages, and never slows down the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import cast

from fastapi import APIRouter, WebSocket
from pydantic import BaseModel, ValidationError
from starlette.websockets import WebSocketState

from dispatch.engine.adapters.publisher import PublishedPlan, Subscription
from dispatch.service.plan_payload import PlanPayload
from driver_api.devices import Device
from driver_api.hub import UNAVAILABLE, DriverHub
from driver_api.schemas import (
    Ack,
    ErrorMessage,
    Hello,
    Ok,
    Ping,
    PlanMessage,
    Position,
    Reply,
    StopEventIn,
    Welcome,
    client_message,
    describe,
)
from driver_api.state import get_hub

log = logging.getLogger(__name__)

router = APIRouter(tags=["driver"])

POLICY_VIOLATION = 1008
SERVICE_RESTART = 1012
TRY_AGAIN_LATER = 1013


class Closed(Exception):
    """The client went away (or has to go): end the connection's tasks."""


@router.websocket("/v1/vehicles/{vehicle_id}/stream")
async def stream(websocket: WebSocket, vehicle_id: str) -> None:
    hub = get_hub(websocket.app)
    await websocket.accept()
    hello = await _hello(websocket, hub)
    device = await hub.authenticate(vehicle_id, hello.token if hello else None)
    if hello is None or device is None:
        await websocket.close(POLICY_VIOLATION, "hello with the vehicle's device token expected")
        return
    connection = Connection(websocket, hub, device)
    device.connections += 1
    metrics = hub.runtime.metrics
    if metrics is not None:
        metrics.device_connected()
    try:
        await connection.run(hello)
    finally:
        device.connections -= 1
        if metrics is not None:
            metrics.device_disconnected()
        if websocket.application_state is not WebSocketState.DISCONNECTED:
            with contextlib.suppress(Exception):  # a client that does not read may not take it
                await asyncio.wait_for(
                    websocket.close(connection.close_code, connection.close_reason),
                    hub.params.send_timeout_s,
                )


async def _hello(websocket: WebSocket, hub: DriverHub) -> Hello | None:
    try:
        text = await asyncio.wait_for(_receive(websocket), hub.params.hello_timeout_s)
        message = client_message.validate_json(text)
    except (TimeoutError, ValidationError, Closed):
        return None
    return message if isinstance(message, Hello) else None


async def _receive(websocket: WebSocket) -> str:
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise Closed
    text = message.get("text")
    if text is None:
        data = message.get("bytes") or b""
        text = data.decode("utf-8", errors="replace")
    return str(text)


class Connection:
    def __init__(self, websocket: WebSocket, hub: DriverHub, device: Device) -> None:
        self.ws, self.hub, self.device = websocket, hub, device
        self.shift_id = hub.shift_id(device)
        self.sent_version: int | None = None
        self.close_code, self.close_reason = 1000, ""
        self._send_lock = asyncio.Lock()

    async def run(self, hello: Hello) -> None:
        publisher = self.hub.runtime.publisher
        subscription = (
            publisher.subscribe(self.shift_id, asyncio.get_running_loop())
            if self.shift_id
            else None
        )
        try:
            await self._start(hello)
            tasks = [asyncio.create_task(self._read()), asyncio.create_task(self._heartbeat())]
            if subscription is not None:
                tasks.append(asyncio.create_task(self._write(subscription)))
            done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            for task in done:
                if task.exception() is not None and not isinstance(task.exception(), Closed):
                    log.warning(
                        "driver stream of %s ended: %r", self.device.vehicle_id, task.exception()
                    )
        except Closed:
            pass
        finally:
            if subscription is not None:
                subscription.close()

    async def _start(self, hello: Hello) -> None:
        latest = self.hub.runtime.publisher.latest(self.shift_id) if self.shift_id else None
        same_shift = hello.shift_id in (None, self.shift_id)
        self.sent_version = hello.last_version if same_shift else None
        welcome = Welcome(
            vehicle_id=self.device.vehicle_id,
            shift_id=self.shift_id,
            version=latest.version if latest else None,
            server_time=self.hub.devices.iso(self.hub.runtime.clock()),
            ping_s=self.hub.params.ping_s,
        )
        await self.send(welcome)
        if latest is not None and self.sent_version != latest.version:
            await self._send_plan(latest)

    async def send(self, message: BaseModel) -> None:
        await self.send_text(message.model_dump_json())

    async def send_text(self, text: str) -> None:
        async with self._send_lock:
            try:
                await asyncio.wait_for(self.ws.send_text(text), self.hub.params.send_timeout_s)
            except TimeoutError:
                self.close_code, self.close_reason = TRY_AGAIN_LATER, "client is not reading"
                raise Closed from None
            except Exception as exc:  # the socket is gone (reset, closed meanwhile)
                raise Closed from exc

    async def _send_plan(self, plan: PublishedPlan) -> None:
        # The publisher carries any JSON payload; the service publishes ``PlanPayload``s.
        payload = await self.hub.plan_payload(cast(PlanPayload, plan.payload))
        message = PlanMessage.model_validate({"type": "plan", **payload})
        await self.send_text(message.model_dump_json())
        self.sent_version = plan.version

    async def _write(self, subscription: Subscription) -> None:
        while True:
            plan = await subscription.next()
            if self.sent_version is None or plan.version > self.sent_version:
                await self._send_plan(plan)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.hub.params.ping_s)
            if self.hub.shift_id(self.device) != self.shift_id:
                self.close_code, self.close_reason = SERVICE_RESTART, "new shift: reconnect"
                raise Closed
            await self.send(Ping(at=self.hub.devices.iso(self.hub.runtime.clock())))

    async def _read(self) -> None:
        while True:
            text = await _receive(self.ws)
            await self.send(await self._answer(text))

    async def _answer(self, text: str) -> Reply:
        try:
            message = client_message.validate_json(text)
        except ValidationError as exc:
            return ErrorMessage(id=_message_id(text), code="invalid_message", detail=describe(exc))
        if isinstance(message, Hello):
            return ErrorMessage(
                id=message.id, code="invalid_message", detail="already authenticated"
            )
        known = self.device.reply_to(message.id)
        if known is not None:
            return _as_duplicate(known)
        reply = await self._handle(message)
        # A report the database did not take is not remembered: the device sends it again.
        if not (isinstance(reply, ErrorMessage) and reply.code == UNAVAILABLE):
            self.device.remember(message.id, reply)
        return reply

    async def _handle(self, message: Ack | Position | StopEventIn) -> Reply:
        if isinstance(message, Ack):
            return self.hub.ack(self.device, self.shift_id, message)
        if isinstance(message, Position):
            return self.hub.position(self.device, message)
        async with self.device.lock:  # one stop event of a device at a time, across connections
            known = self.device.reply_to(message.id)
            if known is not None:
                return _as_duplicate(known)
            return await self.hub.stop_event(self.device, self.shift_id, message)


def _as_duplicate(reply: Reply) -> Reply:
    return reply.model_copy(update={"duplicate": True}) if isinstance(reply, Ok) else reply


def _message_id(text: str) -> str | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    value = data.get("id") if isinstance(data, dict) else None
    return value if isinstance(value, str) and len(value) <= 100 else None
