"""Driver devices: who may connect, which shift they drive today, what they already sent.

A device is a vehicle (``bus-1``) with its device token. Tokens live in the database,
only as hashes (issued with ``dispatch devices token``, by the admin API, or set in the
service definition); each sign-in checks the stored hash, so a rotated token takes effect
at once and a restart changes nothing. While the database does not answer, a device
that signed in before keeps signing in with the token it used. The engine plans per
shift day (``bus-1@2026-11-25``); a device always drives the shift
of *today* in the service's time zone, so the stream of ``bus-1`` carries the plan of
``bus-1@<today>``. At midnight the stream closes (code 1012) and the client's
reconnect picks up the new day's shift.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dispatch.config import ServiceConfig
from dispatch.errors import InputError, NotFoundError, UnavailableError
from dispatch.model import ShiftId, VehicleId, shift_id
from dispatch.store import Repository
from dispatch.store.tokens import token_matches
from driver_api.schemas import Reply

VEHICLE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
#: Device timestamps further than this from the service's clock are refused.
MAX_CLOCK_SKEW_S = 86400


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

    vehicle_id: VehicleId
    token_hash: str
    remembered: int
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    replies: OrderedDict[str, Reply] = field(default_factory=OrderedDict)
    acked_version: int | None = None
    acked_shift: ShiftId | None = None
    connections: int = 0
    #: Latest reported position ``(lat, lon, at)``, not yet passed on when ``dirty``.
    position: tuple[float, float, int] | None = None
    dirty: bool = False
    on_break_since: int | None = None

    def reply_to(self, message_id: str) -> Reply | None:
        return self.replies.get(message_id)

    def remember(self, message_id: str, reply: Reply) -> None:
        self.replies[message_id] = reply
        while len(self.replies) > self.remembered:
            self.replies.popitem(last=False)


class Devices:
    """The devices that signed in, checked against the stored token hashes."""

    def __init__(
        self,
        config: ServiceConfig,
        clock: Callable[[], int],
        params: StreamParams,
        repo: Repository,
    ) -> None:
        self.config, self.clock, self.params, self.repo = config, clock, params, repo
        self._devices: dict[str, Device] = {}
        self._lock = threading.Lock()

    def authenticate(self, vehicle_id: str, token: str | None) -> Device | None:
        """The device if ``token`` is its vehicle's token, else ``None`` (blocking: a DB read)."""
        if not token or not VEHICLE_ID.match(vehicle_id):
            return None
        try:
            stored = self.repo.get_vehicle(vehicle_id).device_token_hash
        except NotFoundError:
            return None
        except UnavailableError:
            known = self._devices.get(vehicle_id)
            stored = known.token_hash if known is not None else None
        if not token_matches(token, stored):
            return None
        assert stored is not None
        with self._lock:
            device = self._devices.get(vehicle_id)
            if device is None:
                device = Device(VehicleId(vehicle_id), stored, self.params.remembered_ids)
                self._devices[vehicle_id] = device
            device.token_hash = stored
            return device

    def all(self) -> list[Device]:
        return list(self._devices.values())

    def today(self) -> str:
        return datetime.fromtimestamp(self.clock(), self.config.zone).date().isoformat()

    def shift_id(self, vehicle_id: VehicleId, shift_days: set[Any]) -> ShiftId | None:
        """Today's shift vehicle of the engine, or ``None`` if the vehicle has no shift today."""
        day = datetime.fromtimestamp(self.clock(), self.config.zone).date()
        if (vehicle_id, day) not in shift_days:
            return None
        return shift_id(vehicle_id, day)

    def iso(self, t: int) -> str:
        return datetime.fromtimestamp(t, self.config.zone).isoformat()

    def epoch(self, when: datetime | None) -> int:
        """A client's instant as epoch seconds (naive: service time zone; never in the future).

        Raises ``InputError`` for an instant more than a day away from the service's clock
        (a device with a wrong clock, or a corrupted message).
        """
        now = self.clock()
        if when is None:
            return now
        try:
            if when.tzinfo is None:
                when = when.replace(tzinfo=self.config.zone)
            at = int(when.timestamp())
        except (OverflowError, ValueError, OSError):
            at = now - 10 * MAX_CLOCK_SKEW_S
        if abs(at - now) > MAX_CLOCK_SKEW_S:
            raise InputError(
                f"at: {when.isoformat()} is more than a day away from the service's clock "
                f"({self.iso(now)}); check the device's clock"
            )
        return min(at, now)
