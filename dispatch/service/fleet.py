"""The fleet as the service runs it: vehicles and shifts from the service definition plus
those an administrator added through the API (kept in the database).

The engine knows one vehicle per shift day (``bus-1@2026-11-25``): a vehicle has at most
one shift per local day, and each shift inside the prebooking horizon becomes an engine
vehicle. Shifts further ahead are added as they come into the horizon.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from dispatch.config import ServiceConfig
from dispatch.engine.events import VehicleAdded
from dispatch.errors import ConflictError, InputError, NotFoundError
from dispatch.model import SHIFT_SEPARATOR, ShiftId, VehicleId, shift_id
from dispatch.roads.network import RoadNetwork
from dispatch.store import Repository
from dispatch.store.records import ShiftRecord, ShiftStatus, VehicleRecord
from dispatch.store.tokens import hash_token, new_token

Clock = Callable[[], int]
VEHICLE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MAX_SHIFT_S = 16 * 3600
MAX_AHEAD_DAYS = 366


@dataclass(frozen=True, slots=True)
class ShiftDay:
    """One shift of one vehicle on one local day, as the engine gets it."""

    vehicle_id: str
    day: date
    seats: int
    wheelchair_places: int
    depot: tuple[float, float]
    start: int
    end: int
    #: "config" (the service definition) or "admin" (added through the API).
    source: str = "config"
    #: The stored shift record, once there is one (drivers' start/end, admin shifts).
    record: ShiftRecord | None = None
    #: Planned breaks (start, end) as epoch seconds, taken at the depot.
    breaks: tuple[tuple[int, int], ...] = ()

    @property
    def engine_id(self) -> ShiftId:
        return shift_id(self.vehicle_id, self.day)


class Fleet:
    """Vehicles and shifts: the service definition's and the administrator's."""

    def __init__(
        self, config: ServiceConfig, repo: Repository, network: RoadNetwork, clock: Clock
    ) -> None:
        self.config, self.repo, self.network, self.clock = config, repo, network, clock

    # ---- vehicles -------------------------------------------------------------------

    def vehicles(self) -> dict[str, VehicleRecord]:
        """Every vehicle by id (the database holds the configured ones too)."""
        return {v.id: v for v in self.repo.list_vehicles()}

    def add_vehicle(
        self,
        vehicle_id: str,
        name: str,
        seats: int,
        wheelchair_places: int,
        depot: tuple[float, float],
    ) -> tuple[VehicleRecord, str]:
        """Register a new vehicle; returns it and its device token (shown only once)."""
        if not VEHICLE_ID.match(vehicle_id) or SHIFT_SEPARATOR in vehicle_id:
            raise InputError("vehicle_id: letters, digits, '.', '_' or '-', at most 64 characters")
        if vehicle_id in self.vehicles():
            raise ConflictError(f"vehicle {vehicle_id} exists already")
        self.network.snap(*depot)  # a depot off the road network is an error that names it
        token = new_token()
        record = VehicleRecord(
            VehicleId(vehicle_id),
            name or vehicle_id,
            seats,
            wheelchair_places,
            depot[0],
            depot[1],
            hash_token(token),
        )
        return self.repo.upsert_vehicle(record), token

    # ---- shifts ---------------------------------------------------------------------

    def add_shift(
        self,
        vehicle_id: str,
        start: int,
        end: int,
        start_depot: tuple[float, float] | None = None,
        end_depot: tuple[float, float] | None = None,
    ) -> ShiftRecord:
        """Plan a shift for a vehicle (at most one per local day, in the future)."""
        vehicle = self.vehicles().get(vehicle_id)
        if vehicle is None:
            raise NotFoundError(f"no vehicle {vehicle_id}")
        now = self.clock()
        if end <= start:
            raise InputError("the shift ends before it starts")
        if end - start > MAX_SHIFT_S:
            raise InputError(f"a shift lasts at most {MAX_SHIFT_S // 3600} hours")
        if end <= now:
            raise InputError("the shift is over already")
        if start > now + MAX_AHEAD_DAYS * 86400:
            raise InputError(f"shifts can be planned at most {MAX_AHEAD_DAYS} days ahead")
        day = self._day(start)
        if self._day(end - 1) != day:
            raise InputError("a shift must start and end on the same day")
        if any(s.day == day for s in self.shift_days(vehicle_id, day, day)):
            raise ConflictError(f"vehicle {vehicle_id} has a shift on {day.isoformat()} already")
        home = (vehicle.depot_lat, vehicle.depot_lon)
        first, last = start_depot or home, end_depot or start_depot or home
        for point in (first, last):
            self.network.snap(*point)
        return self.repo.add_shift(
            ShiftRecord(VehicleId(vehicle_id), start, end, first[0], first[1], last[0], last[1])
        )

    def shift_days(self, vehicle_id: str | None, first: date, last: date) -> list[ShiftDay]:
        """The shifts of the service definition and of the database on days ``first..last``.

        A configured shift's stored record (made when its driver starts it) is attached
        to it rather than listed twice.
        """
        vehicles = self.vehicles()
        found: dict[tuple[str, date], ShiftDay] = {}
        day = first
        while day <= last:
            for shift, start, end in self.config.shifts_on(day):
                v = vehicles.get(shift.vehicle)
                if v is None or (vehicle_id is not None and v.id != vehicle_id):
                    continue
                depot = (v.depot_lat, v.depot_lon)
                breaks = tuple(
                    (self.config.epoch(day, b.start), self.config.epoch(day, b.end))
                    for b in shift.breaks
                )
                found[(v.id, day)] = ShiftDay(
                    v.id, day, v.seats, v.wheelchair_places, depot, start, end, breaks=breaks
                )
            day += timedelta(days=1)
        window_start = self._midnight(first)
        window_end = self._midnight(last + timedelta(days=1))
        for s in self.repo.list_shifts(
            vehicle_id, ending_after=window_start, starting_before=window_end - 1
        ):
            v = vehicles.get(s.vehicle_id)
            if v is None:
                continue
            key = (v.id, self._day(s.start_at))
            configured = found.get(key)
            if configured is not None and configured.start == s.start_at:
                found[key] = replace(configured, record=s)
                continue
            depot = (s.start_depot_lat, s.start_depot_lon)
            found[key] = ShiftDay(
                v.id, key[1], v.seats, v.wheelchair_places, depot, s.start_at, s.end_at,
                "admin", s,
            )  # fmt: skip
        return sorted(found.values(), key=lambda s: (s.start, s.vehicle_id))

    def today(self, vehicle_id: str) -> ShiftRecord:
        """Today's shift of the vehicle as a stored record (made from the definition if new)."""
        day = self._day(self.clock())
        shift = next(iter(self.shift_days(vehicle_id, day, day)), None)
        if shift is None:
            raise NotFoundError(f"vehicle {vehicle_id} has no shift today")
        if shift.record is not None:
            return shift.record
        configured = next(s for s, _, _ in self.config.shifts_on(day) if s.vehicle == vehicle_id)
        first = configured.start_depot or self.config.fleet.vehicle(vehicle_id).depot
        last = configured.end_depot or first
        return self.repo.add_shift(
            ShiftRecord(
                VehicleId(vehicle_id),
                shift.start,
                shift.end,
                first.lat,
                first.lon,
                last.lat,
                last.lon,
            )
        )

    def engine_vehicles(self, known: set[tuple[str, date]]) -> list[tuple[ShiftDay, VehicleAdded]]:
        """Engine vehicles for the shifts from today to the horizon that ``known`` lacks."""
        now = self.clock()
        today = self._day(now)
        last = today + timedelta(days=self.config.booking.prebooking_horizon_days)
        out = []
        seen = set(known)
        for s in self.shift_days(None, today, last):
            ended = s.record is not None and s.record.status is ShiftStatus.ENDED
            if (s.vehicle_id, s.day) in seen or s.end <= now or ended:
                continue
            seen.add((s.vehicle_id, s.day))
            node = self.network.snap(*s.depot).node
            out.append(
                (
                    s,
                    VehicleAdded(
                        s.engine_id, s.seats, s.wheelchair_places, node, s.start, s.end, s.breaks
                    ),
                )
            )
        return out

    def _midnight(self, day: date) -> int:
        return int(datetime.combine(day, datetime.min.time(), self.config.zone).timestamp())

    def _day(self, t: int) -> date:
        return datetime.fromtimestamp(t, self.config.zone).date()
