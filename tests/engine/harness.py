"""The engine on the test grid with the service's real persistence: Sink and Repository.

Events go through ``apply_event`` (what the service's runner thread does), so every
decision is written to a real database (SQLite file or PostgreSQL schema) or rolled back.
``restart()`` builds a new engine from the database the way the service does.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from dispatch.engine.adapters.publisher import InMemoryPublisher
from dispatch.engine.adapters.runner import ViewPublisher, apply_event
from dispatch.engine.engine import Engine
from dispatch.engine.events import (
    BookingAccepted,
    BookingRequested,
    Command,
    Event,
    OfferMade,
    QuoteAnswered,
    QuoteRequested,
    TripSpec,
    VehicleAdded,
)
from dispatch.engine.params import EngineParams
from dispatch.model import Plan, Snapshot
from dispatch.roads.geometry import Geometry
from dispatch.service.etas import EtaBoard
from dispatch.service.plan_payload import PlanPayloads
from dispatch.service.runtime import restore_bookings
from dispatch.service.sink import STARTUP, BookingCommit, Sink
from dispatch.solver.improve import ImproveParams, solve
from dispatch.solver.params import ObjectiveParams
from dispatch.store import Repository
from dispatch.store.changes import Confirmation
from dispatch.store.records import Booking, NewBooking, Offer, Place
from tests.engine.conftest import T0, GridTravelTimes


@dataclass(frozen=True)
class _Path:
    polyline: list[tuple[float, float]]


class GridPaths:
    """Coordinates and straight 'roads' for the grid (what plan payloads need)."""

    def node_coords(self, node: int) -> tuple[float, float]:
        return 50.0 + (node // 10) * 0.005, 11.5 + (node % 10) * 0.005

    def route(self, source: int, target: int) -> _Path:
        return _Path([self.node_coords(source), self.node_coords(target)])

    def one_to_many(self, source: int, targets: list[int]) -> Any:
        return GridTravelTimes().one_to_many(source, targets)


FLEET = (
    VehicleAdded("bus1", 4, 1, 0, T0, T0 + 12 * 3600),
    VehicleAdded("bus2", 4, 1, 99, T0, T0 + 12 * 3600),
    VehicleAdded("bus3", 3, 0, 55, T0, T0 + 12 * 3600),
)


def place(node: int) -> dict[str, Any]:
    lat, lon = GridPaths().node_coords(node)
    return {"name": f"node {node}", "lat": lat, "lon": lon, "stop_id": None, "node": node}


class Harness:
    def __init__(
        self,
        repo: Repository,
        params: EngineParams | None = None,
        now: int = T0,
        ids: itertools.count[int] | None = None,
    ) -> None:
        self.repo = repo
        self.params = params or EngineParams(solver_time_limit_s=1.0)
        self.now = now
        self.engine = Engine(GridTravelTimes(), self.params)
        paths = GridPaths()
        self.views = ViewPublisher()
        board = self.views.board
        payloads = PlanPayloads(Geometry(paths), UTC, {}, lambda: board.current)  # type: ignore[arg-type]
        self.sink = Sink(
            repo,
            paths,
            InMemoryPublisher(),
            EtaBoard(),
            lambda: self.now,
            payloads,  # type: ignore[arg-type]
        )
        self._ids = ids or itertools.count(1)  # ids are never reused, restarts included

    def call(self, event: Event, persist: object | None = None) -> list[Command]:
        return apply_event(self.engine, self.sink, event, self.now, persist, self.views)

    def add_fleet(self, fleet: tuple[VehicleAdded, ...] = FLEET) -> None:
        for vehicle in fleet:
            self.call(vehicle)

    def quote(
        self, pickup: int, dropoff: int, depart_after: int, passengers: int = 1
    ) -> list[OfferMade]:
        quote_id = f"q{next(self._ids)}"
        spec = TripSpec(pickup, dropoff, passengers, depart_after=depart_after)
        (answer,) = [
            c for c in self.call(QuoteRequested(quote_id, spec)) if isinstance(c, QuoteAnswered)
        ]
        request = {"input": {}, "origin": place(pickup), "destination": place(dropoff)}
        self.repo.save_offers(
            [
                Offer(o.offer_id, quote_id, request, {}, o.expires_at, self.now, o.vehicle_id)
                for o in answer.offers
            ]
        )
        return list(answer.offers)

    def book(self, offer: OfferMade, key: str | None = None) -> str | None:
        """The new booking's id, or ``None`` if the engine refused the offer."""
        booking_id = f"b{next(self._ids)}"
        stored = self.repo.get_offer(offer.offer_id)
        digest = hashlib.sha256(offer.offer_id.encode()).hexdigest()
        commit = BookingCommit(
            lambda accepted: Confirmation(
                offer.offer_id, _new_booking(accepted, stored), key, digest, _response
            )
        )
        commands = self.call(BookingRequested(booking_id, offer.offer_id), commit)
        accepted = any(isinstance(c, BookingAccepted) for c in commands)
        return booking_id if accepted else None

    def restart(self, fleet: tuple[VehicleAdded, ...] = FLEET) -> Harness:
        """A new engine and sink from the database, as ``dispatch serve`` starts."""
        self.sink.close()
        again = Harness(self.repo, self.params, self.now, self._ids)
        plans = self.repo.latest_plan_versions()
        for vehicle in fleet:
            last = plans.get(vehicle.vehicle_id)
            again.call(
                VehicleAdded(
                    vehicle.vehicle_id,
                    vehicle.seats,
                    vehicle.wheelchair_places,
                    vehicle.depot_node,
                    vehicle.shift_start,
                    vehicle.shift_end,
                    vehicle.breaks,
                    version=last.version if last else 0,
                ),
                STARTUP,
            )
        restore_bookings(again.call, self.repo, again.sink, plans)
        return again

    def close(self) -> None:
        self.sink.close()


def counted_solve(
    snapshot: Snapshot, warm_start: Plan, objective: ObjectiveParams, iterations: int, seed: int
) -> Plan:
    """The live search without OR-Tools, bounded by iterations: the same result every run."""
    improve = ImproveParams(use_ortools=False, max_iterations=iterations)
    return solve(snapshot, objective, 60.0, seed=seed, warm_start=warm_start, improve=improve).plan


def _new_booking(accepted: BookingAccepted, offer: Offer) -> NewBooking:
    origin, destination = offer.request["origin"], offer.request["destination"]
    return NewBooking(
        booking_id=accepted.booking_id,
        rider_id=None,
        origin=Place(**origin),
        destination=Place(**destination),
        passengers=accepted.trip.passengers,
        wheelchairs=accepted.trip.wheelchairs,
        pickup_window_start=accepted.promise.pickup_window.start,
        pickup_window_end=accepted.promise.pickup_window.end,
        latest_arrival=accepted.promise.latest_arrival,
        depart_after=accepted.trip.depart_after,
        planned_pickup=accepted.pickup_eta,
        planned_dropoff=accepted.dropoff_eta,
        vehicle_id=accepted.vehicle_id,
        access_token_hash="x" * 64,
        max_ride_s=accepted.max_ride_s,
    )


def _response(b: Booking) -> dict[str, Any]:
    return {"booking_id": b.id, "status": b.status.value, "access_token": f"token-{b.id}"}
