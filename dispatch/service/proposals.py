"""Residents propose stops; agents review them; an accepted one is a virtual stop at once.

Public view: no one's identity, the point rounded to about 100 m, the reason, the
status with the decision's reason, and how many residents support it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from dispatch.errors import InputError, SnapError
from dispatch.roads.network import RoadNetwork
from dispatch.stops import VirtualStop, VirtualStops
from dispatch.store.proposals import STATUSES, AcceptedStop, Proposal, ProposalStore

MAX_REASON = 300
PUBLIC_DECIMALS = 3


def add_accepted_stops(repo: ProposalStore, stops: VirtualStops) -> None:
    for s in repo.accepted_stops():
        stops.add(VirtualStop(s.stop_id, s.name, s.lat, s.lon, s.node, "proposal"))


def public(p: Proposal) -> Proposal:
    """The proposal with its point rounded to about 100 m (what anybody may see of it)."""
    return replace(p, lat=round(p.lat, PUBLIC_DECIMALS), lon=round(p.lon, PUBLIC_DECIMALS))


class Proposals:
    def __init__(
        self,
        repo: ProposalStore,
        stops: VirtualStops,
        network: RoadNetwork,
        clock: Callable[[], int],
    ) -> None:
        self.repo, self.stops, self.network, self.clock = repo, stops, network, clock

    def propose(self, lat: float, lon: float, reason: str, channel: str) -> Proposal:
        reason = reason.strip()
        if not reason:
            raise InputError("reason: say why a stop is needed here")
        if len(reason) > MAX_REASON:
            raise InputError(f"reason: at most {MAX_REASON} characters")
        try:
            self.network.snap(lat, lon)
        except SnapError as exc:
            raise InputError(f"outside the service area: {exc}") from None
        return public(self.repo.add_proposal(lat, lon, reason, channel))

    def listing(self) -> list[Proposal]:
        return [public(p) for p in reversed(self.repo.list_proposals())]

    def support(self, proposal_id: int) -> Proposal:
        return public(self.repo.support_proposal(proposal_id))

    def decide(self, proposal_id: int, status: str, reason: str, name: str, by: str) -> Proposal:
        """Review, accept (``name``: the new stop's name) or decline (``reason`` required)."""
        if status not in STATUSES[1:]:
            raise InputError(f"status: one of {', '.join(STATUSES[1:])}")
        current = self.repo.get_proposal(proposal_id)
        if current.status in ("accepted", "declined"):
            raise InputError(f"proposal {proposal_id} was {current.status} already")
        if status == "declined" and not reason.strip():
            raise InputError("reason: say why the proposal is declined")
        stop = self._stop(current, name) if status == "accepted" else None
        decided = self.repo.decide_proposal(proposal_id, status, reason.strip(), by, stop)
        if stop is not None:  # stored first: a stop the database lost is never offered
            self.stops.add(
                VirtualStop(stop.stop_id, stop.name, stop.lat, stop.lon, stop.node, "proposal")
            )
        return public(decided)

    def _stop(self, p: Proposal, name: str) -> AcceptedStop:
        name = name.strip()
        if not name:
            raise InputError("name: an accepted proposal needs the new stop's name")
        snapped = self.network.snap(p.lat, p.lon)
        return AcceptedStop(f"proposal-{p.id}", name[:80], p.lat, p.lon, snapped.node)
