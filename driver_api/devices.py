"""Driver devices: who may connect, which shift they drive today, what they already sent.

A device is a vehicle of the service definition (``bus-1``) with its token, or one an
administrator added (its token hash is read from the database when it first connects). The
engine plans per shift day (``bus-1@2026-11-25``); a device always drives the shift
of *today* in the service's time zone, so the stream of ``bus-1`` carries the plan of
``bus-1@<today>``. At midnight the stream closes (code 1012) and the client's
reconnect picks up the new day's shift.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dispatch.config import ServiceConfig
from dispatch.store.records import VehicleRecord
from dispatch.store.tokens import hash_token, token_matches


@dataclass(frozen=True, slots=True)
class StreamParams:
    """How the driver stream behaves (heartbeats, time limits, batching of positions)."""

    ping_s: float = 15.0
    hello_timeout_s: float = 10.0
    #: A client whose socket does not take a message within this time is disconnected.
    send_timeout_s: float = 10.0
    #: Plan versions waiting for one client (older ones make way for newer ones).
    queue_size: int = 32
    #: Positions are accepted at once and passed on to the engine in batches this often.
    position_flush_s: float = 2.0
    #: How long to wait for a just-accepted booking's commit before sending its rider name.
    rider_wait_s: float = 1.0
    #: Client message ids remembered per device (a resend after reconnect takes effect once).
    remembered_ids: int = 2000

    def __post_init__(self) -> None:
        if min(self.ping_s, self.hello_timeout_s, self.send_timeout_s) <= 0:
            raise ValueError("stream intervals must be positive")
        if self.queue_size < 1 or self.remembered_ids < 1:
            raise ValueError("queue_size and remembered_ids must be at least 1")


@dataclass(eq=False)
class Device:
    """One vehicle's device; shared by all its connections (e.g. a reconnect overlapping)."""

    vehicle_id: str
    token_hash: str
    remembered: int
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    replies: OrderedDict[str, dict[str, Any]] = field(default_factory=OrderedDict)
    acked_version: int | None = None
    acked_shift: str | None = None
    connections: int = 0
    #: Latest reported position ``(lat, lon, at)``, not yet passed on when ``dirty``.
    position: tuple[float, float, int] | None = None
    dirty: bool = False
    on_break_since: int | None = None

    def reply_to(self, message_id: str) -> dict[str, Any] | None:
        return self.replies.get(message_id)

    def remember(self, message_id: str, reply: dict[str, Any]) -> None:
        self.replies[message_id] = reply
        while len(self.replies) > self.remembered:
            self.replies.popitem(last=False)


class Devices:
    """The service's devices with their token hashes (plain tokens are never kept)."""

    def __init__(
        self, config: ServiceConfig, clock: Callable[[], int], params: StreamParams
    ) -> None:
        self.config, self.clock, self.params = config, clock, params
        self._devices = {
            v.id: Device(v.id, hash_token(v.device_token.get_secret_value()), params.remembered_ids)
            for v in config.fleet.vehicles
        }

    def learn(self, vehicles: Iterable[VehicleRecord]) -> None:
        """Take in vehicles an administrator added while the service runs (their token hashes)."""
        for v in vehicles:
            if v.id not in self._devices and v.device_token_hash:
                self._devices[v.id] = Device(v.id, v.device_token_hash, self.params.remembered_ids)

    def knows(self, vehicle_id: str) -> bool:
        return vehicle_id in self._devices

    def authenticate(self, vehicle_id: str, token: str | None) -> Device | None:
        """The device if ``token`` is its token; ``None`` for a wrong token or vehicle."""
        device = self._devices.get(vehicle_id)
        if device is None or not token_matches(token or "", device.token_hash):
            return None
        return device

    def all(self) -> list[Device]:
        return list(self._devices.values())

    def today(self) -> str:
        return datetime.fromtimestamp(self.clock(), self.config.zone).date().isoformat()

    def shift_id(self, vehicle_id: str, shift_days: set[Any]) -> str | None:
        """Today's shift vehicle of the engine, or ``None`` if the vehicle has no shift today."""
        day = datetime.fromtimestamp(self.clock(), self.config.zone).date()
        if (vehicle_id, day) not in shift_days:
            return None
        return f"{vehicle_id}@{day.isoformat()}"

    def iso(self, t: int) -> str:
        return datetime.fromtimestamp(t, self.config.zone).isoformat()

    def epoch(self, when: datetime | None) -> int:
        """A client's instant as epoch seconds (naive: service time zone; never in the future)."""
        now = self.clock()
        if when is None:
            return now
        if when.tzinfo is None:
            when = when.replace(tzinfo=self.config.zone)
        return min(int(when.timestamp()), now)
