"""The engine: single writer of the live state, driven by events and a given clock.

``Engine.handle(event, now)`` is the only way in; it returns commands and never reads
the wall clock, the network or the database. The live service and the planner's
replay drive the very same class, one with real time, the other with simulated time.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from dispatch.engine import restore
from dispatch.engine import trips as trip_rules
from dispatch.engine.events import (
    OPEN_STATUSES,
    BookingAccepted,
    BookingRejected,
    BookingRequested,
    CancelRequested,
    Command,
    Event,
    EventRefused,
    OfferMade,
    PlanChanged,
    PositionReported,
    QuoteAnswered,
    QuoteRequested,
    RelocationOrdered,
    RestoreCompleted,
    ShiftEndReported,
    SolveFinished,
    SolveRequested,
    StateRestored,
    StopEventKind,
    StopEventReported,
    Tick,
    TripStatusChanged,
    VehicleAdded,
)
from dispatch.engine.locations import LocationTable, NodeTravelTimes
from dispatch.engine.params import EngineParams
from dispatch.engine.reassignment import book_reassigned, reassigned_offer
from dispatch.engine.rebalance import DemandMemory, plan_relocations
from dispatch.engine.reconcile import adopt_solution
from dispatch.engine.snapshot import (
    LiveSnapshot,
    VehicleEntry,
    build_live_snapshot,
    with_requests,
)
from dispatch.engine.state import OfferRecord, SolveInFlight, Trip, VehicleState
from dispatch.engine.stop_events import apply_stop_event
from dispatch.model import BookingId, BookingStatus, Plan, Request, RequestId, Route, ShiftId, Visit
from dispatch.solver.insertion import feasible_insertions, offers
from dispatch.solver.plan import make_plan
from dispatch.solver.schedule import Infeasibility, build_route

log = logging.getLogger(__name__)


class Engine:
    """Live vehicles, trips and offers; quotes, bookings and re-optimisation."""

    def __init__(self, travel_times: NodeTravelTimes, params: EngineParams | None = None) -> None:
        self.params = params or EngineParams()
        self.table = LocationTable(travel_times)
        self.vehicles: dict[ShiftId, VehicleState] = {}
        self.trips: dict[BookingId, Trip] = {}
        self.offers: dict[str, OfferRecord] = {}
        self.solving: SolveInFlight | None = None
        self.state_version = 0
        self._dirty_since: int | None = None
        self._last_solve_at: int | None = None
        self._last_deep_at: int | None = None
        self._open: tuple[tuple[int, int], dict[BookingId, Trip]] = ((-1, -1), {})
        self._next_token = 1
        #: Live snapshots by (now, vehicles in it), valid until the state changes.
        self._snapshots: dict[tuple[int, tuple[str, ...]], LiveSnapshot] = {}
        #: Each vehicle's part of the last snapshot, and the solver's route states for them.
        self._entries: dict[ShiftId, VehicleEntry] = {}
        self._route_states: dict[tuple[object, ...], object] = {}
        rebalance = self.params.rebalance
        self.demand = DemandMemory(rebalance.horizon_s if rebalance else 0)

    # ---- dispatch ---------------------------------------------------------------

    def handle(self, event: Event, now: int) -> list[Command]:
        if isinstance(event, QuoteRequested):
            return [self._quote(event, now)]  # quotes change nothing: snapshots are shared
        if not isinstance(event, BookingRequested):  # a booking starts from the quotes' state
            self._snapshots.clear()
        try:
            return self._handle(event, now)
        finally:
            self._snapshots.clear()  # anything but a quote may have changed the state

    def _handle(self, event: Event, now: int) -> list[Command]:
        match event:
            case BookingRequested():
                return self._book(event, now)
            case StateRestored():
                return restore.state(self, event)
            case RestoreCompleted():
                return restore.completed(self, now)
            case CancelRequested():
                return self._cancel(event, now)
            case VehicleAdded():
                return self._add_vehicle(event, now)
            case PositionReported():
                return self._position(event, now)
            case StopEventReported():
                return self._stop_event(event, now)
            case ShiftEndReported():
                return self._shift_end(event, now)
            case Tick():
                return self._tick(now)
            case SolveFinished():
                return self._solve_finished(event, now)
        raise TypeError(f"unknown event {event!r}")

    # ---- quotes and bookings ------------------------------------------------------

    def _quote(self, event: QuoteRequested, now: int) -> QuoteAnswered:
        # A group larger than every bus: no offer at any time, so no alternatives either, and
        # a reason that says so (the request still counts as unmet demand for planners).
        capacities = (v.capacity for v in self.vehicles.values())
        too_large = trip_rules.too_large_reason(event.trip, capacities)
        if too_large is not None:
            return QuoteAnswered(event.quote_id, (), reason=too_large)
        built = trip_rules.quote_request(event.quote_id, event.trip, now, self.table, self.params)
        if isinstance(built, str):
            return QuoteAnswered(event.quote_id, (), reason=built)
        request, max_ride = built
        if self.params.rebalance is not None:
            self.demand.record(now, event.trip.pickup_node)
        live = self.live_snapshot(now, extra=(request,), around=request, shared=True)
        found = offers(
            live.snapshot,
            live.visits,
            request,
            self.params.objective,
            n=self.params.offers_per_quote,
            promise=trip_rules.promise_params(self.params),
        )
        made = []
        for k, offer in enumerate(found):
            record = trip_rules.offer_record(event, k, offer, request, max_ride, now, self.params)
            self.offers[record.offer_id] = record
            made.append(
                OfferMade(
                    record.offer_id,
                    record.vehicle_id,
                    record.promise,
                    offer.pickup_start,
                    offer.dropoff_start,
                    record.expires_at,
                )
            )
        if not made and self.params.quote_reassign:
            moved = reassigned_offer(self, event, request, max_ride, live, now)
            made = [moved] if moved is not None else []
        if made:
            return QuoteAnswered(event.quote_id, tuple(made))
        alternatives = self._alternatives(event, now) if self.params.quote_alternatives else ()
        return QuoteAnswered(
            event.quote_id,
            (),
            reason=trip_rules.no_offer_reason(event.trip),
            alternatives=alternatives,
        )

    def _alternatives(self, event: QuoteRequested, now: int) -> tuple[int, ...]:
        """Nearby times that could be offered instead (pickup times), tried in order."""
        found: list[int] = []
        for shifted in trip_rules.alternative_trips(event.trip, now, self.params):
            built = trip_rules.quote_request(event.quote_id, shifted, now, self.table, self.params)
            if isinstance(built, str):
                continue
            live = self.live_snapshot(now, extra=(built[0],), around=built[0], shared=True)
            best = feasible_insertions(
                live.snapshot, live.visits, built[0], self.params.objective, limit=1
            )
            if best:
                found.append(best[0].pickup_start)
            if len(found) >= 2:
                break
        return tuple(sorted(found))

    def _book(self, event: BookingRequested, now: int) -> list[Command]:
        offer = self.offers.get(event.offer_id)
        rejected = trip_rules.offer_problem(offer, event, now, event.booking_id in self.trips)
        if rejected is not None:
            return [rejected]
        assert offer is not None
        if offer.reassignment is not None:
            done = book_reassigned(self, event, offer, now)
            if done is not None:
                return done
        request = trip_rules.promised_request(offer, event.booking_id)
        live = self.live_snapshot(now, extra=(request,), around=request, shared=True)
        # The offer's own vehicle first (usually it still fits there), then the fleet.
        found = feasible_insertions(
            live.snapshot,
            live.visits,
            request,
            self.params.objective,
            limit=1,
            vehicles={offer.vehicle_id},
        ) or feasible_insertions(
            live.snapshot, live.visits, request, self.params.objective, limit=1
        )
        if not found:
            return [
                BookingRejected(
                    event.booking_id,
                    event.offer_id,
                    "the offer can no longer be served",
                    "infeasible",
                )
            ]
        offer.used = True
        insertion = found[0]
        trip = trip_rules.trip_from_offer(event.booking_id, offer, insertion.vehicle_id)
        self.trips[trip.booking_id] = trip
        vehicle = self.vehicles[insertion.vehicle_id]
        changed = self.set_route(
            vehicle, list(insertion.visits), insertion.route, vehicle.vehicle_id in live.relaxed
        )
        self.mark_dirty(now)
        stops = {s.request_id: s for s in insertion.route.stops}
        rid = event.booking_id
        accepted = BookingAccepted(
            event.booking_id,
            event.offer_id,
            vehicle.vehicle_id,
            trip.spec,
            trip.promise,
            pickup_eta=_eta(insertion.route, rid, first=True, fallback=stops[rid].start),
            dropoff_eta=_eta(insertion.route, rid, first=False, fallback=stops[rid].start),
            max_ride_s=trip.max_ride_s,
        )
        return [accepted, changed]

    # ---- recovery after a restart (see restore.py) -----------------------------------

    def vehicle_of(self, trip: Trip) -> VehicleState | None:
        """The shift whose plan holds ``trip`` (``None``: no vehicle's plan holds it)."""
        return None if trip.vehicle_id is None else self.vehicles.get(trip.vehicle_id)

    def unplaced(self) -> list[BookingId]:
        """Open bookings on no vehicle's plan (incidents)."""
        return restore.unplaced(self)

    def _cancel(self, event: CancelRequested, now: int) -> list[Command]:
        trip = self.trips.get(event.booking_id)
        if trip is None or trip.status not in OPEN_STATUSES:
            return []
        if trip.status is BookingStatus.ON_BOARD:
            raise trip_rules.CannotCancelError("the rider is already on board")
        trip.status = BookingStatus.CANCELLED
        commands: list[Command] = [
            TripStatusChanged(trip.booking_id, BookingStatus.CANCELLED, now, trip.vehicle_id)
        ]
        vehicle = self.vehicle_of(trip)
        self.mark_dirty(now)  # room on a bus: worth re-planning
        if vehicle is not None:
            vehicle.visits = [v for v in vehicle.visits if v.request_id != trip.booking_id]
            commands += self._retime(vehicle, now)
        return commands

    # ---- vehicles -------------------------------------------------------------------

    def _add_vehicle(self, event: VehicleAdded, now: int) -> list[Command]:
        if event.vehicle_id in self.vehicles:
            raise trip_rules.DuplicateVehicleError(f"vehicle {event.vehicle_id} exists already")
        self.table.index(event.depot_node)
        vehicle = VehicleState(
            vehicle_id=event.vehicle_id,
            seats=event.seats,
            wheelchair_places=event.wheelchair_places,
            depot_node=event.depot_node,
            shift_start=event.shift_start,
            shift_end=event.shift_end,
            position_node=event.depot_node,
            position_at=event.shift_start,
            version=event.version,
        )
        self.vehicles[event.vehicle_id] = vehicle
        self.mark_dirty(now)  # a new shift: room for re-planning
        for k, (start, end) in enumerate(event.breaks):
            if end <= now:
                continue
            trip = trip_rules.break_trip(event, k, start, end, self.params)
            self.trips[trip.booking_id] = trip
            vehicle.visits.extend(trip.visits())
        return self._retime(vehicle, now) if vehicle.visits else []

    def _position(self, event: PositionReported, now: int) -> list[Command]:
        """Where the vehicle was and when (``at`` is when it was at ``node``).

        A report dated ahead of the clock (a device whose clock runs fast) is taken as
        ``now``: no report may move a bus ahead of the time it could really be there.
        A report older than the vehicle's latest one (delivered out of order) is refused,
        so that the bus never jumps back to where it was.
        """
        vehicle = self.vehicles.get(event.vehicle_id)
        if vehicle is None:
            return []
        at = event.at
        if at > now:
            log.info(
                "vehicle %s: position dated %d s ahead of the clock, taken as now",
                event.vehicle_id,
                at - now,
            )
            at = now
        if vehicle.reported_at is not None and at < vehicle.reported_at:
            return [EventRefused(event.vehicle_id, None, "older than the vehicle's latest report")]
        vehicle.reported_at = at
        if vehicle.relocation_arrival is not None:
            if at < vehicle.relocation_arrival:
                return []  # on the way: planned from where it is going
            vehicle.relocation_arrival = None
        if vehicle.at_stop and event.node == vehicle.position_node:
            return []  # still at the stop: it has been there since it arrived
        vehicle.position_node = event.node
        vehicle.position_at = at
        self.table.index(event.node)
        return []

    def _shift_end(self, event: ShiftEndReported, now: int) -> list[Command]:
        vehicle = self.vehicles.get(event.vehicle_id)
        if vehicle is None:
            return [EventRefused(event.vehicle_id, None, "no such shift")]
        if vehicle.visits:
            stops = len(vehicle.visits)
            return [EventRefused(event.vehicle_id, None, f"{stops} stops are still to be served")]
        vehicle.shift_end = min(vehicle.shift_end, now)
        return []

    def _stop_event(self, event: StopEventReported, now: int) -> list[Command]:
        outcome = apply_stop_event(self, event, now)
        if outcome.vehicle is None:
            return outcome.commands
        if event.event is StopEventKind.NO_SHOW:
            self.mark_dirty(now)  # room on a bus; a stop going to plan changes nothing
        return outcome.commands + self._retime(outcome.vehicle, now)

    # ---- re-optimisation --------------------------------------------------------------

    def _tick(self, now: int) -> list[Command]:
        self._expire_offers(now)
        moves = self._rebalance(now)
        return [*moves, *self._start_solve(now)]

    def _rebalance(self, now: int) -> list[Command]:
        """Send idle buses towards expected demand (when the option is on)."""
        params = self.params.rebalance
        if params is None:
            return []
        demand = self.demand.recent(now)
        moves = plan_relocations(self.vehicles.values(), demand, self.table, now, params)
        for move in moves:
            vehicle = self.vehicles[move.vehicle_id]
            vehicle.position_node, vehicle.position_at = move.node, move.arrival
            vehicle.relocation_arrival = move.arrival
        if moves:
            self.state_version += 1
        return [RelocationOrdered(m.vehicle_id, m.node, m.arrival) for m in moves]

    def _start_solve(self, now: int) -> list[Command]:
        if self.solving is not None or not self._due(now):
            return []
        if not self.open_trips():
            return []
        live = self.live_snapshot(now)
        current = make_plan(live.snapshot, live.visits, self.params.objective)
        if isinstance(current, Infeasibility):
            log.error("current plan is infeasible even after relaxation: %s", current.reason)
            return []
        token = self._next_token
        self._next_token += 1
        self.solving = SolveInFlight(token, now, self.state_version)
        self._last_solve_at = now
        deep = self._periodic_due(now)
        if deep:
            self._last_deep_at = now
        self._dirty_since = None
        clean = replace(live.snapshot)  # fresh object: no shared row lists cross processes
        limit = self.params.solver_time_limit_s
        return [SolveRequested(token, clean, current, limit, deep=deep)]

    def _periodic_due(self, now: int) -> bool:
        last = self._last_deep_at
        return last is None or now - last >= self.params.reoptimise_period_s

    def _due(self, now: int) -> bool:
        if (
            self.params.reoptimise_after_change
            and self._dirty_since is not None
            and now - self._dirty_since >= self.params.reoptimise_debounce_s
        ):
            return True
        return self._periodic_due(now)

    def next_solve_due(self, now: int) -> int | None:
        """The earliest time a :class:`Tick` would start a re-optimisation, if no other
        event comes first (``None`` while one runs or nothing is open).

        The replay uses it to tick exactly when the live service's runner would find a
        re-optimisation due, without ticking every second.
        """
        if self.solving is not None:
            return None
        if not self.open_trips():
            return None
        last = self._last_deep_at
        due = now if last is None else last + self.params.reoptimise_period_s
        if self._dirty_since is not None and self.params.reoptimise_after_change:
            due = min(due, self._dirty_since + self.params.reoptimise_debounce_s)
        return max(now, due)

    def _solve_finished(self, event: SolveFinished, now: int) -> list[Command]:
        if self.solving is None or self.solving.token != event.token:
            return []
        self.solving = None
        if event.plan is None:
            log.info("re-optimisation %d brought nothing: %s", event.token, event.reason)
            return []
        return adopt_solution(self, event, now)

    def _expire_offers(self, now: int) -> None:
        grace = self.params.offer_hold_s
        stale = [k for k, o in self.offers.items() if now > o.expires_at + grace or o.used]
        for key in stale:
            del self.offers[key]

    # ---- shared helpers ---------------------------------------------------------------

    def live_snapshot(
        self,
        now: int,
        extra: tuple[Request, ...] = (),
        around: Request | None = None,
        shared: bool = False,
        only: VehicleState | None = None,
    ) -> LiveSnapshot:
        """The live state as a snapshot; with ``around``, only the vehicles that could serve it.

        A quote for Thursday morning does not need Monday's shifts: leaving out the
        vehicles whose shift cannot overlap the request keeps quotes fast with a week
        of prebookings. With ``shared``, the snapshot is kept for the next caller at the
        same ``now`` (only for code that does not change the state before asking again;
        ``handle`` forgets kept snapshots after every event but a quote).
        """
        vehicles = list(self.vehicles.values()) if only is None else [only]
        if around is not None:
            start, end = around.pickup_window.start, around.dropoff_window.end
            vehicles = [v for v in vehicles if v.shift_start <= end and v.shift_end >= start]
        key = (now, tuple(v.vehicle_id for v in vehicles))
        base = self._snapshots.get(key) if shared else None
        if base is None:
            keep = set(key[1])
            trips = {
                k: t
                for k, t in self.open_trips().items()
                if (around is None and only is None) or t.vehicle_id in keep
            }
            base = build_live_snapshot(
                now,
                vehicles,
                trips,
                self.table,
                entries=self._entries,
                route_states=self._route_states,
                lock_ahead_s=self.params.lock_ahead_s,
            )
            if shared:
                if len(self._snapshots) >= 8:
                    self._snapshots.clear()
                self._snapshots[key] = base
        return with_requests(base, extra, self.table)

    def open_trips(self) -> dict[BookingId, Trip]:
        """The trips still to serve (kept until the state changes: a busy day has many done)."""
        key = (self.state_version, len(self.trips))
        if self._open[0] != key:
            self._open = (key, {k: t for k, t in self.trips.items() if t.status in OPEN_STATUSES})
        return self._open[1]

    def forget_snapshots(self) -> None:
        """The state was changed from outside ``handle`` (a rollback): rebuild snapshots."""
        self._snapshots.clear()
        self.state_version += 1

    def current_plan(self, now: int) -> Plan | Infeasibility:
        live = self.live_snapshot(now)
        return make_plan(live.snapshot, live.visits, self.params.objective)

    def mark_dirty(self, now: int) -> None:
        self.state_version += 1
        if self._dirty_since is None:
            self._dirty_since = now

    def set_route(
        self, vehicle: VehicleState, visits: list[Visit], route: Route, relaxed: bool
    ) -> PlanChanged:
        vehicle.visits = visits
        vehicle.route = route
        vehicle.relaxed = relaxed
        vehicle.version += 1
        return self.plan_changed(vehicle)

    def plan_changed(self, vehicle: VehicleState) -> PlanChanged:
        assert vehicle.route is not None
        nodes = tuple(self.table.nodes[s.location] for s in vehicle.route.stops)
        self.state_version += 1
        return PlanChanged(vehicle.vehicle_id, vehicle.version, vehicle.route, nodes)

    def _retime(self, vehicle: VehicleState, now: int) -> list[Command]:
        """Re-time a vehicle's route after its visits changed, and publish it."""
        live = self.live_snapshot(now, only=vehicle)
        view = live.snapshot.vehicle_by_id.get(vehicle.vehicle_id)
        if view is None:
            vehicle.route = None
            return []
        route = build_route(live.snapshot, view, vehicle.visits)
        if isinstance(route, Infeasibility):
            log.error("vehicle %s: route cannot be timed: %s", vehicle.vehicle_id, route.reason)
            return []
        vehicle.route = route
        vehicle.relaxed = vehicle.vehicle_id in live.relaxed
        vehicle.version += 1
        return [self.plan_changed(vehicle)]


def _eta(route: Route, rid: RequestId, *, first: bool, fallback: int) -> int:
    times = [s.start for s in route.stops if s.request_id == rid]
    if not times:
        return fallback
    return times[0] if first else times[-1]
