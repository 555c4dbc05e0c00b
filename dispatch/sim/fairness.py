"""Fairness figures of a replay, by the same groups and definitions as the open data."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from dispatch.opendata.aggregate import FAIRNESS_FIGURES, GROUPS, figures
from dispatch.opendata.trips import PublicTrip, Villages
from dispatch.roads.network import RoadNetwork
from dispatch.roads.osm_file import NamedPoint
from dispatch.sim.demand import DemandRequest
from dispatch.sim.outcomes import Outcome


def public_outcomes(
    outcomes: Sequence[Outcome], requests: Sequence[DemandRequest], network: RoadNetwork,
    resolve: Any,
) -> list[PublicTrip]:  # fmt: skip
    """Each replayed request as a trip of its groups (village: of the pickup)."""
    villages = Villages(network.places)
    by_id = {r.id: r for r in requests}
    out = []
    for o in outcomes:
        r = by_id[o.request_id]
        lat, lon = network.node_coords(resolve(r.origin))
        dlat, dlon = network.node_coords(resolve(r.destination))
        served = o.status == "served"
        wait = o.pickup - o.requested_time if served and o.pickup and not o.arrive_by else None
        ride = o.dropoff - o.pickup if served and o.pickup and o.dropoff else None
        late = served and (
            (o.pickup or 0) > (o.promised_pickup_end or 1 << 62)
            or (o.dropoff or 0) > (o.promised_latest_arrival or 1 << 62)
        )
        out.append(PublicTrip(
            day=_day(o.requested_time), hour=0, origin=villages.of(lat, lon),
            destination=villages.of(dlat, dlon), served=served, wheelchair=r.wheelchairs > 0,
            phone=r.channel == "phone", standing_order=r.standing_order,
            wait_s=None if wait is None else max(0, wait), ride_s=ride, late=late,
        ))  # fmt: skip
    return out


def _day(epoch: int) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC).date()


#: Places that count as the centre of a region: towns and cities (else the most populous).
CENTRE_KINDS = frozenset({"city", "town"})


def centre_places(places: Sequence[NamedPoint]) -> frozenset[str]:
    """The region's centre: its towns and cities, else its most populous place (none
    without population figures). Every other village is the periphery."""
    towns = frozenset(p.name for p in places if p.kind in CENTRE_KINDS)
    if towns:
        return towns
    peopled = [p for p in places if p.population]
    if not peopled:
        return frozenset()
    return frozenset({max(peopled, key=lambda p: (p.population or 0, p.name)).name})


def replay_rows(
    outcomes: Sequence[Outcome], requests: Sequence[DemandRequest], network: RoadNetwork,
    resolve: Any,
) -> list[dict[str, Any]]:  # fmt: skip
    """A replay's figures by group, centre and periphery included."""
    trips = public_outcomes(outcomes, requests, network, resolve)
    return group_rows(trips, centre_places(network.places))


def group_rows(trips: Sequence[PublicTrip], centre: Collection[str] = ()) -> list[dict[str, Any]]:
    """Figures per group of every kind (wheelchair, channel, standing order, village) and,
    given the ``centre`` villages, per area (centre vs periphery)."""
    rows = []
    kinds = dict(GROUPS)
    if centre:
        kinds["area"] = lambda t: "centre" if t.origin in centre else "periphery"
    for kind, group_of in kinds.items():
        groups: dict[str, list[PublicTrip]] = {}
        for t in trips:
            groups.setdefault(group_of(t), []).append(t)
        for g in sorted(groups):
            f = figures(groups[g])
            rows.append({"group_kind": kind, "group": g, **{c: f[c] for c in FAIRNESS_FIGURES}})
    return rows


def served_gap(rows: Sequence[dict[str, Any]], kind: str = "wheelchair") -> float | None:
    """Served share of the best-served group minus the worst, within ``kind``."""
    shares = [
        r["served_share"] for r in rows if r["group_kind"] == kind and r["served_share"] is not None
    ]
    return round(max(shares) - min(shares), 4) if len(shares) > 1 else None


def fairness_text(rows: Sequence[dict[str, Any]]) -> str:
    head = f"{'group':<40} {'requests':>8} {'served':>8} {'rejected':>8} {'wait med':>9} {'wait p90':>9} {'late':>7}"
    lines = [head]
    for r in rows:
        share = "–" if r["served_share"] is None else f"{r['served_share'] * 100:.1f}%"
        wait = "–" if r["wait_median_min"] is None else f"{r['wait_median_min']:.1f}"
        p90 = "–" if r["wait_p90_min"] is None else f"{r['wait_p90_min']:.1f}"
        late = "–" if r["late_share"] is None else f"{r['late_share'] * 100:.1f}%"
        name = f"{r['group_kind']}: {r['group']}"[:40]
        lines.append(
            f"{name:<40} {r['requests']:>8} {share:>8} {r['rejected']:>8} {wait:>9} {p90:>9} {late:>7}"
        )
    return "\n".join(lines)
