"""What the demo's log says: one readable line per bus event and a summary now and then.

The simulated buses report arrived / boarded / dropped off / no-show / break to the
service like a driver's tablet does; these lines tell a person watching the demo what
happened, in the demo's own time ("07:14"), which is not the wall clock of the log line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any, Protocol


class Bus(Protocol):
    """What the narration reads of a simulated bus."""

    @property
    def vehicle_id(self) -> str: ...
    @property
    def plan(self) -> dict[str, Any] | None: ...
    @property
    def served(self) -> set[str]: ...
    @property
    def clock(self) -> Callable[[], int]: ...


def _zone(plan: dict[str, Any] | None) -> tzinfo:
    """The service's zone offset, read from the plan's times (they carry it)."""
    for stop in (plan or {}).get("stops", []):
        if stop.get("eta"):
            offset = datetime.fromisoformat(stop["eta"]).utcoffset()
            if offset is not None:
                return timezone(offset)
    return UTC


def demo_time(bus: Bus) -> str:
    return datetime.fromtimestamp(bus.clock(), _zone(bus.plan)).strftime("%H:%M")


def _stop(bus: Bus, stop_id: str) -> dict[str, Any]:
    for stop in (bus.plan or {}).get("stops", []):
        if stop.get("stop_id") == stop_id:
            return dict(stop)
    return {"stop_id": stop_id, "kind": "stop", "name": stop_id}


def _rider(stop: dict[str, Any]) -> str:
    rider = stop.get("rider") or {}
    name = rider.get("first_name") or "a rider"
    party = int(stop.get("passengers") or 1)
    chairs = int(stop.get("wheelchairs") or 0)
    extra = f" with {party - 1} more" if party > 1 else ""
    return name + extra + (" (wheelchair)" if chairs else "")


def _hhmm(iso: str | None) -> str:
    return iso[11:16] if iso else "?"


def event_line(bus: Bus, stop_id: str, event: str) -> str | None:
    """``07:14 bus-1 arrived at Harsdorf to pick up Erna with 1 more`` (None: not worth a line)."""
    stop = _stop(bus, stop_id)
    where, kind = stop.get("name") or "?", stop.get("kind")
    if event == "departed" and kind != "break":
        return None  # "picked up" / "dropped off" said it already
    who = _rider(stop)
    if kind == "break":
        what = (
            f"starts its break ({where}, until {_hhmm(stop.get('departure'))})"
            if event == "arrived"
            else "ends its break"
        )
    elif event == "arrived":
        purpose = "to pick up" if kind == "pickup" else "to drop off"
        what = f"arrived at {where} {purpose} {who}"
    else:
        what = {
            "boarded": f"picked up {who} at {where}",
            "alighted": f"dropped off {who} at {where}",
            "no_show": f"reported {who} as a no-show at {where}",
            "departed": f"left {where}",
        }.get(event, f"{event} at {where}")
    return f"{demo_time(bus)} {bus.vehicle_id} {what}"


def _doing(bus: Bus) -> str:
    for stop in (bus.plan or {}).get("stops", []):
        if stop.get("kind") in ("pickup", "dropoff", "break") and stop["stop_id"] not in bus.served:
            left = sum(
                1
                for s in (bus.plan or {}).get("stops", [])
                if s.get("booking_id") and s["stop_id"] not in bus.served
            )
            return f"{bus.vehicle_id} → {stop.get('name')} ({left} stop{'' if left == 1 else 's'} left)"
    return f"{bus.vehicle_id} idle"


def on_board(bus: Bus) -> int:
    """Riders in the bus: drop-offs still to do whose pickup is done."""
    stops = [s for s in (bus.plan or {}).get("stops", []) if s["stop_id"] not in bus.served]
    waiting = {s.get("booking_id") for s in stops if s.get("kind") == "pickup"}
    return sum(
        int(s.get("passengers") or 1)
        for s in stops
        if s.get("kind") == "dropoff" and s.get("booking_id") not in waiting
    )


def summary_line(buses: Sequence[Bus], booked: int, refused: int) -> str:
    """``07:30 summary: 12 rides booked, 2 without offer, 4 riders on board; bus-1 → …``."""
    when = demo_time(buses[0]) if buses else "--:--"
    riding = sum(on_board(b) for b in buses)
    doing = "; ".join(_doing(b) for b in buses)
    return (
        f"{when} summary: {booked} ride{'' if booked == 1 else 's'} booked, "
        f"{refused} without offer, {riding} rider{'' if riding == 1 else 's'} on board; {doing}"
    )


def every_s(minutes_of_demo: float, speedup: float, at_least_s: float = 30.0) -> float:
    """Real seconds between summaries: every few demo minutes, but not a flood when fast."""
    return max(at_least_s, timedelta(minutes=minutes_of_demo).total_seconds() / speedup)
