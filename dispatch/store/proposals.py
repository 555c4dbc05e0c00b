"""Residents' stop proposals: proposed, supported, reviewed; accepted ones become stops."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import col, select

from dispatch.store.base import StoreBase
from dispatch.store.errors import NotFoundError
from dispatch.store.tables import StopProposalRow, StopRow

STATUSES = ("new", "under_review", "accepted", "declined")


@dataclass(frozen=True, slots=True)
class Proposal:
    id: int
    lat: float
    lon: float
    reason: str
    channel: str
    status: str
    supports: int
    decision_reason: str
    decided_by: str | None
    decided_at: int | None
    stop_id: str | None
    created_at: int


@dataclass(frozen=True, slots=True)
class AcceptedStop:
    """The virtual stop an accepted proposal becomes (node: its snapped road node)."""

    stop_id: str
    name: str
    lat: float
    lon: float
    node: int


class ProposalNotFound(NotFoundError):
    pass


def _proposal(row: StopProposalRow) -> Proposal:
    assert row.id is not None
    return Proposal(
        row.id, row.lat, row.lon, row.reason, row.channel, row.status, row.supports,
        row.decision_reason, row.decided_by, row.decided_at, row.stop_id, row.created_at,
    )  # fmt: skip


class ProposalStore(StoreBase):
    def add_proposal(self, lat: float, lon: float, reason: str, channel: str) -> Proposal:
        with self._db.transaction() as session:
            row = StopProposalRow(
                lat=lat, lon=lon, reason=reason, channel=channel, created_at=self._clock()
            )
            session.add(row)
            session.flush()
            return _proposal(row)

    def list_proposals(self) -> list[Proposal]:
        with self._db.transaction() as session:
            rows = session.exec(select(StopProposalRow).order_by(col(StopProposalRow.id)))
            return [_proposal(r) for r in rows]

    def get_proposal(self, proposal_id: int) -> Proposal:
        with self._db.transaction() as session:
            row = session.get(StopProposalRow, proposal_id)
            if row is None:
                raise ProposalNotFound(f"no proposal {proposal_id}")
            return _proposal(row)

    def support_proposal(self, proposal_id: int) -> Proposal:
        with self._db.transaction() as session:
            session.execute(
                update(StopProposalRow)
                .where(col(StopProposalRow.id) == proposal_id)
                .values(supports=StopProposalRow.supports + 1)
            )
            row = session.get(StopProposalRow, proposal_id)
            if row is None:
                raise ProposalNotFound(f"no proposal {proposal_id}")
            session.refresh(row)
            return _proposal(row)

    def decide_proposal(
        self, proposal_id: int, status: str, reason: str, by: str, stop: AcceptedStop | None
    ) -> Proposal:
        """Record the decision; an accepted proposal's stop is stored in the same transaction."""
        with self._db.transaction() as session:
            row = session.get(StopProposalRow, proposal_id)
            if row is None:
                raise ProposalNotFound(f"no proposal {proposal_id}")
            row.status, row.decision_reason = status, reason
            row.decided_by, row.decided_at = by, self._clock()
            if stop is not None:
                row.stop_id = stop.stop_id
                session.add(StopRow(id=stop.stop_id, name=stop.name, lat=stop.lat, lon=stop.lon,
                                    source="proposal", node=stop.node))  # fmt: skip
            session.add(row)
            session.flush()
            return _proposal(row)

    def accepted_stops(self) -> list[AcceptedStop]:
        """Stops made from accepted proposals (read at start-up)."""
        with self._db.transaction() as session:
            rows = session.exec(select(StopRow).where(col(StopRow.source) == "proposal"))
            return [AcceptedStop(r.id, r.name, r.lat, r.lon, r.node or 0) for r in rows]
