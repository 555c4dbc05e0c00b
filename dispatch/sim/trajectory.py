"""An independent check of what the simulated buses of a replay did.

The replay's numbers are only worth something if its buses did what real ones can.
This module checks that from the replay's own output files, with its own shortest
paths over the road graph (SciPy's Dijkstra on the compiled arrays) and its own
arithmetic. It shares no code with the planner's timing (no schedule, no travel-time
matrix, no engine): a bug there cannot hide itself here.

What it checks, per bus and per rider:

* ``too_fast``: two consecutive timeline points are closer in time than the fastest
  drive between their road nodes (or time runs backwards);
* ``stop_elsewhere``: the bus was not at a stop's node from arrival to end of service;
* ``short_stop``: a stop took less than its boarding/alighting time, or a break less
  than its planned length; ``early_service``: service began before the bus arrived;
* ``ride_too_short``: a ride (end of boarding to arrival at the drop-off) was shorter
  than the direct drive;
* ``capacity``: more riders or wheelchairs on board than the bus has places;
  ``break_not_empty``: riders on board during a break;
* ``pickup_window`` / ``latest_arrival``: a promise broken;
* ``ride_time_rule``: a ride longer than the maximum ride time rule allows;
* ``incomplete``: a booking with a pickup but no drop-off (or the reverse), a served
  request without both stops, or stops in the wrong order.
"""

from __future__ import annotations

import bisect
import csv
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Violation:
    kind: str
    vehicle_id: str
    booking_id: str
    at: int
    detail: str

    def __str__(self) -> str:
        who = " ".join(x for x in (self.vehicle_id, self.booking_id) if x)
        return f"{self.kind} ({who}): {self.detail}"


@dataclass(frozen=True, slots=True)
class Rules:
    """The service rules the replay ran under (seconds; ride rule factor × direct + extra)."""

    boarding_s: int
    alighting_s: int
    wheelchair_extra_s: int
    ride_factor: float
    ride_extra_s: int


@dataclass(frozen=True, slots=True)
class Bus:
    vehicle_id: str
    seats: int
    wheelchair_places: int
    #: Planned breaks as (start, end).
    breaks: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Booking:
    """A served or booked request as the replay reported it."""

    booking_id: str
    status: str
    passengers: int
    wheelchairs: int
    pickup_node: int
    dropoff_node: int
    window_start: int | None
    window_end: int | None
    latest_arrival: int | None
    extra_boarding_s: int = 0


@dataclass(frozen=True, slots=True)
class StopRow:
    vehicle_id: str
    booking_id: str
    kind: str
    node: int
    arrival: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class SegmentPoint:
    """A location on a road segment (an address, a stop): the edge ``start`` → ``end``
    is split there, ``seconds_in`` from its start; on a two-way road also the reverse
    edge, ``reverse_seconds_in`` from the reverse edge's start."""

    location: int
    start: int
    end: int
    travel_s: int
    seconds_in: int
    reverse_travel_s: int | None = None
    reverse_seconds_in: int | None = None
    offset_m: int = 0


@dataclass
class Records:
    """Everything the checker reads; :func:`read_folder` fills it from a replay folder."""

    rules: Rules
    buses: dict[str, Bus]
    bookings: dict[str, Booking]
    timeline: list[tuple[str, int, int]]  # (vehicle, time, node), in file order
    stops: list[StopRow]
    points: list[SegmentPoint] = field(default_factory=list)


@dataclass(frozen=True)
class RoadArrays:
    """The compiled road graph: CSR adjacency with travel seconds per edge."""

    indptr: IntArray
    indices: IntArray
    travel_s: IntArray


class _Fastest:
    """Fastest drive between locations, from Dijkstra rows computed in batches.

    Points on segments become nodes of their own: each segment with points is split at
    them (a chain start → p1 → … → end, and the reverse chain on a two-way road).
    """

    def __init__(self, roads: RoadArrays, points: Sequence[SegmentPoint] = ()) -> None:
        n = int(roads.indptr.shape[0]) - 1
        # Parallel edges: keep the fastest (csr_matrix would add them up).
        rows = np.repeat(np.arange(n), np.diff(roads.indptr))
        best: dict[tuple[int, int], int] = {}
        arcs = zip(rows.tolist(), roads.indices.tolist(), roads.travel_s.tolist(), strict=True)
        for a, b, t in arcs:
            _keep(best, a, b, t)
        self.index = {p.location: n + k for k, p in enumerate(points)}
        for chain in _chains(points, self.index):
            for a, b, t in chain:
                _keep(best, a, b, t)
        size = n + len(points)
        keys = list(best)
        data = np.array([max(best[k], 0) for k in keys], dtype=np.float64) + 1e-9
        ends = ([k[0] for k in keys], [k[1] for k in keys])
        self._graph = csr_matrix((data, ends), shape=(size, size))
        self._rows: dict[int, npt.NDArray[np.float64]] = {}
        self.n = n

    def valid(self, location: int) -> bool:
        return 0 <= location < self.n or location in self.index

    def _at(self, location: int) -> int:
        return self.index.get(location, location)

    def prepare(self, sources: Iterable[int]) -> None:
        todo = sorted({self._at(s) for s in sources if self.valid(s)} - set(self._rows))
        for k in range(0, len(todo), 256):
            batch = todo[k : k + 256]
            dist = dijkstra(self._graph, directed=True, indices=batch)
            for s, row in zip(batch, np.atleast_2d(dist), strict=True):
                self._rows[s] = np.floor(row + 1e-6)

    def seconds(self, a: int, b: int) -> float:
        if a == b:
            return 0.0
        if not (self.valid(a) and self.valid(b)):
            return float("inf")
        i, j = self._at(a), self._at(b)
        if i not in self._rows:
            self.prepare([a])
        return float(self._rows[i][j])


def _keep(best: dict[tuple[int, int], int], a: int, b: int, t: int) -> None:
    if a != b and ((a, b) not in best or t < best[(a, b)]):
        best[(a, b)] = t


def _chains(
    points: Sequence[SegmentPoint], index: dict[int, int]
) -> Iterator[list[tuple[int, int, int]]]:
    """Per segment with points, the arcs of the split road in both directions."""
    groups: dict[tuple[int, int], list[SegmentPoint]] = defaultdict(list)
    for p in points:
        groups[(p.start, p.end)].append(p)
    for (start, end), on in groups.items():
        # Ties (points a metre apart) go by their metres from the segment's start.
        forward = sorted(on, key=lambda p: (p.seconds_in, p.offset_m))
        marks = [(index[p.location], p.seconds_in) for p in forward]
        yield _chain(start, end, marks, on[0].travel_s)
        if all(p.reverse_seconds_in is not None for p in on) and on[0].reverse_travel_s:
            back = sorted(on, key=lambda p: (p.reverse_seconds_in or 0, -p.offset_m))
            marks = [(index[p.location], p.reverse_seconds_in or 0) for p in back]
            yield _chain(end, start, marks, on[0].reverse_travel_s)


def _chain(
    start: int, end: int, marks: list[tuple[int, int]], total: int
) -> list[tuple[int, int, int]]:
    arcs, prev, at = [], start, 0
    for node, seconds in marks:
        arcs.append((prev, node, seconds - at))
        prev, at = node, seconds
    arcs.append((prev, end, total - at))
    return arcs


def check(records: Records, roads: RoadArrays) -> list[Violation]:
    """Every violation found, in the order of the checks above."""
    fastest = _Fastest(roads, records.points)
    fastest.prepare(_sources(records))
    found: list[Violation] = []
    found += _check_timeline(records, fastest)
    found += _check_stops(records)
    found += _check_rides(records, fastest)
    found += _check_loads(records)
    return found


def _sources(records: Records) -> set[int]:
    out = {node for _, _, node in records.timeline}
    out |= {b.pickup_node for b in records.bookings.values()}
    return out


# ---- the buses' paths ----------------------------------------------------------------


def _check_timeline(records: Records, fastest: _Fastest) -> list[Violation]:
    found = []
    last: dict[str, tuple[int, int]] = {}
    for vid, t, node in records.timeline:
        if not fastest.valid(node):
            found.append(Violation("too_fast", vid, "", t, f"node {node} is not on the map"))
            continue
        prev = last.get(vid)
        last[vid] = (t, node)
        if prev is None:
            continue
        t0, n0 = prev
        need = fastest.seconds(n0, node)
        if t - t0 < need:
            found.append(
                Violation(
                    "too_fast",
                    vid,
                    "",
                    t,
                    f"node {n0} at {_hm(t0)} to node {node} at {_hm(t)}: {t - t0} s, "
                    f"the fastest drive takes {need:.0f} s",
                )
            )
    return found


def _check_stops(records: Records) -> list[Violation]:
    found = []
    places = _places(records.timeline)
    for s in records.stops:
        if s.start < s.arrival or s.end < s.start:
            found.append(
                Violation(
                    "early_service",
                    s.vehicle_id,
                    s.booking_id,
                    s.start,
                    f"{s.kind} arrived {_hm(s.arrival)}, served {_hm(s.start)}–{_hm(s.end)}",
                )
            )
        need = _service_s(records, s)
        if s.end - s.start < need:
            found.append(
                Violation(
                    "short_stop",
                    s.vehicle_id,
                    s.booking_id,
                    s.start,
                    f"{s.kind} took {s.end - s.start} s, needs {need} s",
                )
            )
        if not _stayed(places.get(s.vehicle_id, []), s):
            found.append(
                Violation(
                    "stop_elsewhere",
                    s.vehicle_id,
                    s.booking_id,
                    s.arrival,
                    f"the timeline does not hold the bus at node {s.node} "
                    f"from {_hm(s.arrival)} to {_hm(s.end)}",
                )
            )
    return found


def _places(timeline: Sequence[tuple[str, int, int]]) -> dict[str, list[tuple[int, int]]]:
    out: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for vid, t, node in timeline:
        out[vid].append((t, node))
    for points in out.values():
        points.sort(key=lambda p: p[0])  # stable: keeps the order within a second
    return out


def _stayed(points: Sequence[tuple[int, int]], s: StopRow) -> bool:
    """The bus is at the stop's node at arrival and end, and nowhere else in between.

    Records in the second of arrival before the arrival itself belong to the drive there,
    and records in the second of departure after the end of service to the drive on (a
    bus can arrive in the same second it left a place a few metres away).
    """
    lo = bisect.bisect_left(points, (s.arrival, -1))
    hi = bisect.bisect_right(points, (s.end, 1 << 62))
    window = points[lo:hi]
    if (s.arrival, s.node) not in window:
        return False
    after = window[window.index((s.arrival, s.node)) :]
    if (s.end, s.node) not in after:
        return False
    during = after[: after.index((s.end, s.node)) + 1]
    return all(node == s.node for _, node in during)


def _service_s(records: Records, s: StopRow) -> int:
    if s.kind == "break":
        bus = records.buses.get(s.vehicle_id)
        lengths = [end - start for start, end in bus.breaks] if bus else []
        return min(lengths, default=0)
    booking = records.bookings.get(s.booking_id)
    rules = records.rules
    wheelchairs = booking.wheelchairs if booking else 0
    extra = rules.wheelchair_extra_s * wheelchairs + (booking.extra_boarding_s if booking else 0)
    base = rules.boarding_s if s.kind == "pickup" else rules.alighting_s
    return base + extra


# ---- riders -------------------------------------------------------------------------


def _check_rides(records: Records, fastest: _Fastest) -> list[Violation]:
    pairs: dict[str, dict[str, StopRow]] = defaultdict(dict)
    for s in records.stops:
        if s.kind in ("pickup", "dropoff"):
            pairs[s.booking_id][s.kind] = s
    found = []
    for bid, booking in records.bookings.items():
        stops = pairs.get(bid, {})
        if booking.status == "served" and len(stops) < 2:
            found.append(
                Violation("incomplete", "", bid, 0, "served without a pickup and a drop-off")
            )
            continue
        if len(stops) == 1:
            (kind,) = stops
            found.append(Violation("incomplete", "", bid, 0, f"only a {kind} was served"))
            continue
        if len(stops) == 2:
            found += _check_ride(records.rules, booking, stops["pickup"], stops["dropoff"], fastest)
    return found


def _check_ride(
    rules: Rules, b: Booking, pick: StopRow, drop: StopRow, fastest: _Fastest
) -> list[Violation]:
    found = []

    def add(kind: str, at: int, detail: str) -> None:
        found.append(Violation(kind, pick.vehicle_id, b.booking_id, at, detail))

    if pick.vehicle_id != drop.vehicle_id or drop.arrival < pick.end:
        add("incomplete", drop.arrival, "drop-off before the pickup or on another bus")
        return found
    direct = fastest.seconds(b.pickup_node, b.dropoff_node)
    driving = drop.arrival - pick.end
    if driving < direct:
        add(
            "ride_too_short",
            drop.arrival,
            f"{driving} s on board, the direct drive takes {direct:.0f} s",
        )
    lo, hi = b.window_start, b.window_end
    if lo is not None and hi is not None and not lo <= pick.start <= hi:
        add(
            "pickup_window",
            pick.start,
            f"picked up {_hm(pick.start)}, promised {_hm(lo)}–{_hm(hi)}",
        )
    if b.latest_arrival is not None and drop.start > b.latest_arrival:
        add(
            "latest_arrival",
            drop.start,
            f"arrived {_hm(drop.start)}, promised by {_hm(b.latest_arrival)}",
        )
    limit = rules.ride_factor * direct + rules.ride_extra_s
    ride = drop.start - pick.end
    if ride > limit:
        add("ride_time_rule", drop.start, f"ride {ride} s, the rule allows {limit:.0f} s")
    return found


def _check_loads(records: Records) -> list[Violation]:
    found = []
    by_bus: dict[str, list[StopRow]] = defaultdict(list)
    for s in records.stops:
        by_bus[s.vehicle_id].append(s)
    for vid, stops in by_bus.items():
        bus = records.buses.get(vid)
        seats, chairs = (bus.seats, bus.wheelchair_places) if bus else (0, 0)
        riders = wheelchair = 0
        for s in sorted(stops, key=lambda x: (x.end, x.start)):
            b = records.bookings.get(s.booking_id)
            if s.kind == "break":
                if riders or wheelchair:
                    found.append(
                        Violation(
                            "break_not_empty",
                            vid,
                            s.booking_id,
                            s.start,
                            f"{riders + wheelchair} on board",
                        )
                    )
                continue
            if b is None:
                found.append(
                    Violation(
                        "incomplete", vid, s.booking_id, s.start, "a stop of an unknown booking"
                    )
                )
                continue
            sign = 1 if s.kind == "pickup" else -1
            riders += sign * (b.passengers - b.wheelchairs)
            wheelchair += sign * b.wheelchairs
            if riders > seats or wheelchair > chairs:
                found.append(
                    Violation(
                        "capacity",
                        vid,
                        s.booking_id,
                        s.end,
                        f"{riders} riders and {wheelchair} wheelchairs on board, "
                        f"the bus has {seats} seats and {chairs} wheelchair places",
                    )
                )
    return found


def _hm(t: int) -> str:
    return datetime.fromtimestamp(t).strftime("%H:%M:%S") if t else "?"


# ---- reading a replay folder ---------------------------------------------------------

RULES_FILE = "rules.json"


def read_folder(folder: Path) -> Records:
    """The checker's input, read from the files a replay wrote into ``folder``."""
    meta = json.loads((folder / RULES_FILE).read_text(encoding="utf-8"))
    rules = Rules(**meta["rules"])
    points = [SegmentPoint(**p) for p in meta.get("points", [])]
    buses = {
        b["vehicle_id"]: Bus(
            b["vehicle_id"],
            int(b["seats"]),
            int(b["wheelchair_places"]),
            tuple((int(x), int(y)) for x, y in b.get("breaks", [])),
        )
        for b in meta["vehicles"]
    }
    bookings = {b.booking_id: b for b in _bookings(folder / "outcomes.csv")}
    timeline = [
        (r["vehicle_id"], _epoch(r["time"]), int(r["node"])) for r in _rows(folder / "timeline.csv")
    ]
    stops = [
        StopRow(
            r["vehicle_id"],
            r["request_id"],
            r["kind"],
            int(r["node"]),
            _epoch(r["arrival"]),
            _epoch(r["service_start"]),
            _epoch(r["service_end"]),
        )
        for r in _rows(folder / "stops.csv")
    ]
    return Records(rules, buses, bookings, timeline, stops, points)


def _bookings(path: Path) -> Iterable[Booking]:
    for r in _rows(path):
        if r["status"] not in ("served", "booked"):
            continue
        yield Booking(
            r["request_id"],
            r["status"],
            int(r["passengers"]),
            int(r["wheelchairs"]),
            int(r["pickup_node"]),
            int(r["dropoff_node"]),
            _maybe(r["promised_pickup_start"]),
            _maybe(r["promised_pickup_end"]),
            _maybe(r["promised_latest_arrival"]),
            int(r.get("extra_boarding_s") or 0),
        )


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _epoch(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


def _maybe(text: str) -> int | None:
    return _epoch(text) if text else None


@dataclass
class Summary:
    """Counts per kind and the first violations, for a one-line report."""

    total: int
    by_kind: dict[str, int] = field(default_factory=dict)
    first: list[str] = field(default_factory=list)

    def line(self) -> str:
        if not self.total:
            return "trajectory check: 0 violations"
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(self.by_kind.items()))
        return (
            f"trajectory check: {self.total} violations ({kinds}); first: {'; '.join(self.first)}"
        )


def summarise(violations: Sequence[Violation], first: int = 3) -> Summary:
    by_kind: dict[str, int] = defaultdict(int)
    for v in violations:
        by_kind[v.kind] += 1
    return Summary(len(violations), dict(by_kind), [str(v) for v in violations[:first]])
