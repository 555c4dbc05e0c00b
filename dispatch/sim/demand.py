"""Ride requests for replays: the planner's CSV format, parsed and validated line by line.

Format (UTF-8, comma-separated, header row required; column order is free)::

    id,booked_at,depart_after,arrive_by,origin,origin_lat,origin_lon,
    destination,destination_lat,destination_lon,passengers,wheelchairs,lead_min

* ``id`` — any text, unique (optional: the line number is used when absent).
* ``depart_after`` / ``arrive_by`` — ISO 8601 instants; exactly one per row. Without
  an offset they are local time in the service's time zone.
* ``origin`` / ``destination`` — a virtual stop id, *or* leave it empty and give
  ``*_lat`` and ``*_lon`` (WGS84 degrees) for a door-to-door address.
* ``passengers`` (≥ 1, default 1) and ``wheelchairs`` (0 … passengers, default 0).
* ``booked_at`` — when the rider asked (ISO 8601), or ``lead_min`` — how many minutes
  before the trip the rider booked (default 0: "now" requests). ``booked_at`` wins.
* ``channel`` — ``app`` (default) or ``phone`` (booked through the hotline), and
  ``standing_order`` — ``yes`` or ``no`` (default): rider groups for the fairness figures.

Every error names the line, the field and the reason, and all errors of a file are
reported together, so a planner can fix a booking log in one pass.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from dispatch.errors import InputError

COLUMNS = (
    "id",
    "booked_at",
    "depart_after",
    "arrive_by",
    "origin",
    "origin_lat",
    "origin_lon",
    "destination",
    "destination_lat",
    "destination_lon",
    "passengers",
    "wheelchairs",
    "lead_min",
    "channel",
    "standing_order",
)
MAX_PASSENGERS = 20
MAX_ERRORS_SHOWN = 20


@dataclass(frozen=True, slots=True)
class Place:
    """Where a trip starts or ends: a virtual stop, or coordinates."""

    stop_id: str | None = None
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True, slots=True)
class DemandRequest:
    """One replayed ride request (instants are UTC epoch seconds)."""

    id: str
    booked_at: int
    depart_after: int | None
    arrive_by: int | None
    origin: Place
    destination: Place
    passengers: int = 1
    wheelchairs: int = 0
    channel: str = "app"
    standing_order: bool = False

    @property
    def desired_time(self) -> int:
        value = self.depart_after if self.depart_after is not None else self.arrive_by
        assert value is not None
        return value


class DemandFormatError(InputError):
    """A demand file with one or more bad lines; ``errors`` lists them all."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        shown = "; ".join(errors[:MAX_ERRORS_SHOWN])
        more = (
            f" (and {len(errors) - MAX_ERRORS_SHOWN} more)"
            if len(errors) > MAX_ERRORS_SHOWN
            else ""
        )
        super().__init__(f"{len(errors)} error(s) in demand file: {shown}{more}")


class _RowError(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")


def parse_demand(text: str, tz: tzinfo) -> list[DemandRequest]:
    """Parse a demand CSV; raise :class:`DemandFormatError` listing every bad line."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None:
        raise DemandFormatError(["line 1: the file is empty (a header row is required)"])
    unknown = [c for c in reader.fieldnames if c.strip() not in COLUMNS]
    if unknown:
        raise DemandFormatError([f"line 1: unknown column(s) {', '.join(unknown)}"])
    requests: list[DemandRequest] = []
    errors: list[str] = []
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        try:
            request = _parse_row(
                line, {k.strip(): (v or "").strip() for k, v in row.items() if k}, tz
            )
        except _RowError as exc:
            errors.append(f"line {line}, {exc}")
            continue
        if request.id in seen:
            errors.append(f"line {line}, id: duplicate id {request.id!r}")
            continue
        seen.add(request.id)
        requests.append(request)
    if errors:
        raise DemandFormatError(errors)
    return sorted(requests, key=lambda r: (r.booked_at, r.desired_time, r.id))


def _parse_row(line: int, row: dict[str, str], tz: tzinfo) -> DemandRequest:
    depart = _instant(row, "depart_after", tz)
    arrive = _instant(row, "arrive_by", tz)
    if (depart is None) == (arrive is None):
        raise _RowError("depart_after/arrive_by", "give exactly one of them")
    desired = depart if depart is not None else arrive
    assert desired is not None
    booked = _instant(row, "booked_at", tz)
    if booked is None:
        booked = desired - round(_number(row, "lead_min", 0.0, low=0.0) * 60)
    if booked > desired:
        raise _RowError("booked_at", "the booking is made after the trip's time")
    passengers = int(_number(row, "passengers", 1, low=1, high=MAX_PASSENGERS, integer=True))
    wheelchairs = int(_number(row, "wheelchairs", 0, low=0, high=passengers, integer=True))
    return DemandRequest(
        id=row.get("id") or str(line),
        booked_at=booked,
        depart_after=depart,
        arrive_by=arrive,
        origin=_place(row, "origin"),
        destination=_place(row, "destination"),
        passengers=passengers,
        wheelchairs=wheelchairs,
        channel=_choice(row, "channel", ("app", "phone")),
        standing_order=_choice(row, "standing_order", ("no", "yes")) == "yes",
    )


def _choice(row: dict[str, str], field: str, allowed: tuple[str, ...]) -> str:
    text = row.get(field, "").lower() or allowed[0]
    if text not in allowed:
        raise _RowError(field, f"{text!r} must be {' or '.join(allowed)}")
    return text


def _instant(row: dict[str, str], field: str, tz: tzinfo) -> int | None:
    text = row.get(field, "")
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise _RowError(field, f"{text!r} is not an ISO 8601 date and time") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return int(value.timestamp())


def _number(
    row: dict[str, str],
    field: str,
    default: float,
    *,
    low: float,
    high: float | None = None,
    integer: bool = False,
) -> float:
    text = row.get(field, "")
    if not text:
        return default
    try:
        value = int(text) if integer else float(text)
    except ValueError:
        kind = "a whole number" if integer else "a number"
        raise _RowError(field, f"{text!r} is not {kind}") from None
    if value < low or (high is not None and value > high):
        bound = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
        raise _RowError(field, f"{value:g} must be {bound}")
    return value


def _place(row: dict[str, str], prefix: str) -> Place:
    stop = row.get(prefix, "")
    lat_text, lon_text = row.get(f"{prefix}_lat", ""), row.get(f"{prefix}_lon", "")
    if stop:
        if lat_text or lon_text:
            raise _RowError(prefix, "give a stop id or coordinates, not both")
        return Place(stop_id=stop)
    if not lat_text or not lon_text:
        raise _RowError(prefix, f"give a stop id or both {prefix}_lat and {prefix}_lon")
    lat = _number(row, f"{prefix}_lat", 0.0, low=-90.0, high=90.0)
    lon = _number(row, f"{prefix}_lon", 0.0, low=-180.0, high=180.0)
    return Place(lat=lat, lon=lon)


def format_demand(requests: Iterable[DemandRequest], tz: tzinfo) -> str:
    """Write requests in the same CSV format (instants as local ISO 8601 with offset)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in requests:
        writer.writerow(
            [
                r.id,
                _iso(r.booked_at, tz),
                _iso(r.depart_after, tz),
                _iso(r.arrive_by, tz),
                r.origin.stop_id or "",
                _coord(r.origin.lat),
                _coord(r.origin.lon),
                r.destination.stop_id or "",
                _coord(r.destination.lat),
                _coord(r.destination.lon),
                r.passengers,
                r.wheelchairs,
                "",
                r.channel,
                "yes" if r.standing_order else "no",
            ]
        )
    return out.getvalue()


def _iso(t: int | None, tz: tzinfo) -> str:
    return "" if t is None else datetime.fromtimestamp(t, tz).isoformat()


def _coord(x: float | None) -> str:
    return "" if x is None else f"{x:.6f}"
