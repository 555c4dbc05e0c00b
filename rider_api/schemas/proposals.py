"""Stop proposals: what residents propose, what everybody sees of them, what agents decide."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field

from dispatch.store.proposals import Proposal
from rider_api.schemas.common import PublicModel

PLAIN = r"^[^\x00-\x1f\x7f-\x9f]*$"
ProposalStatus = Literal["new", "under_review", "accepted", "declined"]


class ProposalCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    reason: str = Field(min_length=1, max_length=300, pattern=PLAIN, examples=["doctor's surgery"])


class ProposalDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["under_review", "accepted", "declined"]
    reason: str = Field(default="", max_length=300, pattern=PLAIN)
    name: str = Field(
        default="", max_length=80, pattern=PLAIN, description="the new stop's name (accepted)"
    )


class ProposalPublic(PublicModel):
    """A proposal as anybody sees it: no one's identity, the point rounded to about 100 m."""

    proposal_id: int
    lat: float
    lon: float
    reason: str
    status: ProposalStatus
    decision_reason: str
    supports: int = Field(description="residents who support it")
    stop_id: str | None = Field(description="the virtual stop it became (accepted)")
    created_at: int = Field(description="epoch seconds")

    @classmethod
    def of(cls, p: Proposal, **extra: object) -> Self:
        return cls.model_validate(
            {
                "proposal_id": p.id,
                "lat": p.lat,
                "lon": p.lon,
                "reason": p.reason,
                "status": p.status,
                "decision_reason": p.decision_reason,
                "supports": p.supports,
                "stop_id": p.stop_id,
                "created_at": p.created_at,
                **extra,
            }
        )


class ProposalReviewPublic(ProposalPublic):
    """A proposal as agents see it: also how it came in and who decided when."""

    channel: str = Field(description="app or phone")
    decided_by: str | None
    decided_at: int | None = Field(description="epoch seconds")

    @classmethod
    def review(cls, p: Proposal) -> Self:
        return cls.of(p, channel=p.channel, decided_by=p.decided_by, decided_at=p.decided_at)


class ProposalDecidedPublic(ProposalPublic):
    """The answer to a decision: the proposal with who decided it when."""

    decided_by: str | None
    decided_at: int | None = Field(description="epoch seconds")

    @classmethod
    def decided(cls, p: Proposal) -> Self:
        return cls.of(p, decided_by=p.decided_by, decided_at=p.decided_at)


class UnmetCellPublic(PublicModel):
    """One H3 hexagon with the unmet demand that started in it."""

    cell: str = Field(description="the H3 cell index")
    boundary: list[tuple[float, float]] = Field(description="[lat, lon] corners")
    rejected: int = Field(description="requests that got no offer")
    long_walk: int = Field(description="rides from a point far from its road")
    long_wait: int = Field(description="rides that waited long for the bus")


class UnmetPublic(PublicModel):
    """``GET /v1/planning/unmet``: a month's unmet demand and every proposal."""

    month: str
    group: str
    cells: list[UnmetCellPublic]
    proposals: list[ProposalReviewPublic]
