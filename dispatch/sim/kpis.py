"""The planner's key figures of a replayed day, computed from outcomes and vehicle logs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from statistics import mean

from dispatch.sim.outcomes import Outcome, VehicleLog


@dataclass(frozen=True, slots=True)
class Kpis:
    """The planner's key figures, with the definitions used in the literature.

    * served share: served requests ÷ requests.
    * wait: pickup − requested time, where the pickup is when boarding begins
      (``depart_after`` requests); promised wait: start of the promised pickup window −
      requested time.
    * ride: from the start of boarding to the start of alighting (boarding included).
    * detour factor: (ride − boarding time) ÷ direct travel time, i.e. the time on board
      after boarding over the fastest drive; it is never below 1 for a real bus.
    * vehicle-km: everything the buses drove, and the same without the final drive back
      to the depot; empty km: driven with nobody on board.
    * occupancy: passenger-km ÷ vehicle-km (passenger-km: each rider's km on board).
    * pooled share: served riders who shared the bus with another booking on their ride.
    * passengers per vehicle-hour: served passengers ÷ the fleet's shift hours.
    """

    requested: int
    served: int
    rejected: int
    unfinished: int
    served_share: float
    wait_mean_min: float
    wait_median_min: float
    wait_p95_min: float
    wait_max_min: float
    promised_wait_mean_min: float
    ride_mean_min: float
    detour_mean: float
    detour_max: float
    vehicle_km: float
    vehicle_km_no_return: float
    empty_km: float
    passenger_km: float
    occupancy: float
    pooling_rate: float
    vehicle_hours: float
    passengers_per_vehicle_hour: float
    solver_s: float

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def compute_kpis(
    outcomes: Sequence[Outcome], vehicles: Iterable[VehicleLog], solver_s: float = 0.0
) -> Kpis:
    logs = list(vehicles)
    served = [o for o in outcomes if o.status == "served"]
    rejected = sum(1 for o in outcomes if o.status == "rejected")
    waits = [o.wait_s / 60 for o in served if o.wait_s is not None]
    promised = [
        (o.promised_pickup_start - o.requested_time) / 60
        for o in outcomes
        if o.promised_pickup_start is not None and not o.arrive_by
    ]
    rides = [o.ride_s / 60 for o in served if o.ride_s is not None]
    detours = [o.on_board_s / o.direct_s for o in served if o.on_board_s is not None and o.direct_s]
    km = sum(v.distance_m for v in logs) / 1000
    passenger_km = sum(v.passenger_m for v in logs) / 1000
    shift_h = sum(max(0, v.shift_end - v.shift_start) for v in logs) / 3600
    passengers = sum(o.passengers for o in served)
    return Kpis(
        requested=len(outcomes),
        served=len(served),
        rejected=rejected,
        unfinished=len(outcomes) - len(served) - rejected,
        served_share=len(served) / len(outcomes) if outcomes else 0.0,
        wait_mean_min=_mean(waits),
        wait_median_min=_quantile(waits, 0.5),
        wait_p95_min=_quantile(waits, 0.95),
        wait_max_min=max(waits, default=0.0),
        promised_wait_mean_min=_mean(promised),
        ride_mean_min=_mean(rides),
        detour_mean=_mean(detours),
        detour_max=max(detours, default=0.0),
        vehicle_km=km,
        vehicle_km_no_return=km - sum(v.return_m for v in logs) / 1000,
        empty_km=sum(v.empty_m for v in logs) / 1000,
        passenger_km=passenger_km,
        occupancy=passenger_km / km if km else 0.0,
        pooling_rate=pooling_rate(served),
        vehicle_hours=shift_h,
        passengers_per_vehicle_hour=passengers / shift_h if shift_h else 0.0,
        solver_s=solver_s,
    )


def pooling_rate(served: Sequence[Outcome]) -> float:
    """Share of served riders who were on board together with another booking."""
    if not served:
        return 0.0
    by_vehicle: dict[str, list[Outcome]] = {}
    for o in served:
        by_vehicle.setdefault(o.vehicle_id, []).append(o)
    pooled = 0
    for rides in by_vehicle.values():
        for o in rides:
            assert o.boarded is not None and o.dropoff is not None
            pooled += any(
                p is not o
                and p.boarded is not None
                and p.dropoff is not None
                and p.boarded < o.dropoff
                and o.boarded < p.dropoff
                for p in rides
            )
    return pooled / len(served)


def _mean(values: Sequence[float]) -> float:
    return mean(values) if values else 0.0


def _quantile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
