"""Stop proposals (public, residents and agents) and the planning view's data (agents)."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi import Path as FastPath
from fastapi.concurrency import run_in_threadpool

from dispatch.opendata.export import month_bounds, parse_month
from dispatch.planning.unmet import GROUPS, unmet_cells
from dispatch.service.proposals import Proposals
from dispatch.service.runtime import Runtime
from rider_api.deps import BearerToken, CurrentAgent, OptionalPrincipal, RuntimeDep
from rider_api.openapi import OPTIONAL_TOKEN, problems
from rider_api.schemas.proposals import (
    ProposalCreate,
    ProposalDecidedPublic,
    ProposalDecision,
    ProposalPublic,
    ProposalReviewPublic,
    UnmetCellPublic,
    UnmetPublic,
)

router = APIRouter(prefix="/v1", tags=["stop proposals"])
ProposalId = Annotated[int, FastPath(ge=1, le=2**31 - 1, description="the proposal's number")]


def _proposals(r: Runtime) -> Proposals:
    return Proposals(r.repo, r.stops, r.network, r.clock)


@router.get("/proposals", response_model=list[ProposalPublic], responses=problems())
async def list_proposals(runtime: RuntimeDep) -> list[ProposalPublic]:
    """Every proposal, anonymised (the point to about 100 m), newest first."""
    found = await run_in_threadpool(_proposals(runtime).listing)
    return [ProposalPublic.of(p) for p in found]


@router.post(
    "/proposals",
    status_code=201,
    response_model=ProposalPublic,
    responses=problems(422),
    openapi_extra=OPTIONAL_TOKEN,
)
async def propose(
    body: ProposalCreate, runtime: RuntimeDep, staff: OptionalPrincipal
) -> ProposalPublic:
    """A resident proposes a stop (through a hotline agent when signed in as one)."""
    channel = "phone" if staff is not None else "app"
    proposal = await run_in_threadpool(
        _proposals(runtime).propose, body.lat, body.lon, body.reason, channel
    )
    return ProposalPublic.of(proposal)


@router.post(
    "/proposals/{proposal_id}/support", response_model=ProposalPublic, responses=problems(404)
)
async def support(runtime: RuntimeDep, proposal_id: ProposalId) -> ProposalPublic:
    return ProposalPublic.of(await run_in_threadpool(_proposals(runtime).support, proposal_id))


@router.post(
    "/proposals/{proposal_id}/decision",
    response_model=ProposalDecidedPublic,
    responses=problems(401, 403, 404, 422),
)
async def decide(
    runtime: RuntimeDep,
    proposal_id: ProposalId,
    body: ProposalDecision,
    agent: CurrentAgent,
    token: BearerToken,
) -> ProposalDecidedPublic:
    """Review, accept or decline; an accepted proposal is a virtual stop at once."""
    by = f"{agent.role.value}:{hashlib.sha256((token or '').encode()).hexdigest()[:8]}"
    decided = await run_in_threadpool(
        _proposals(runtime).decide, proposal_id, body.status, body.reason, body.name, by
    )
    return ProposalDecidedPublic.decided(decided)


@router.get("/planning/unmet", response_model=UnmetPublic, responses=problems(401, 403, 422))
async def unmet(
    runtime: RuntimeDep,
    agent: CurrentAgent,
    month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", examples=["2026-11"])],
    group: Annotated[str, Query(pattern="^(" + "|".join(GROUPS) + ")$")] = "all",
) -> UnmetPublic:
    """Unmet demand on hexagons (rejected, long walks, long waits) and every proposal."""

    def collect() -> UnmetPublic:
        start, end = month_bounds(parse_month(month), runtime.config)
        trips, missed = (
            runtime.repo.trips_between(start, end),
            runtime.repo.unmet_between(start, end),
        )
        cells = unmet_cells(trips, missed, runtime.network.node_coords, group)
        return UnmetPublic(
            month=month,
            group=group,
            cells=[UnmetCellPublic.model_validate(c) for c in cells],
            proposals=[ProposalReviewPublic.review(p) for p in _proposals(runtime).listing()],
        )

    return await run_in_threadpool(collect)
