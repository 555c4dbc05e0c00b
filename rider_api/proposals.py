"""Stop proposals (public, residents and agents) and the planning view's data (agents)."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi import Path as FastPath
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from dispatch.opendata.export import month_bounds, parse_month
from dispatch.planning.unmet import GROUPS, unmet_cells
from dispatch.service.proposals import Proposals
from dispatch.service.runtime import Runtime
from rider_api.deps import BearerToken, CurrentAgent, _state
from rider_api.openapi import problems
from rider_api.routes import _bearer, _is_agent

router = APIRouter(prefix="/v1", tags=["stop proposals"])
PLAIN = r"^[^\x00-\x1f\x7f-\x9f]*$"
ProposalId = Annotated[int, FastPath(ge=1, le=2**31 - 1, description="the proposal's number")]


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


def _runtime(request: Request) -> Runtime:
    runtime = _state(request, "runtime")
    assert isinstance(runtime, Runtime)
    return runtime


def _proposals(request: Request) -> Proposals:
    r = _runtime(request)
    return Proposals(r.repo, r.stops, r.network, r.clock)


@router.get("/proposals")
async def list_proposals(request: Request) -> list[dict[str, Any]]:
    """Every proposal, anonymised (the point to about 100 m), newest first."""
    return await run_in_threadpool(_proposals(request).listing)


@router.post("/proposals", status_code=201, responses=problems(422))
async def propose(
    request: Request,
    body: ProposalCreate,
    authorization: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """A resident proposes a stop (through a hotline agent when signed in as one)."""
    channel = "phone" if _is_agent(_runtime(request), _bearer(authorization)) else "app"
    return await run_in_threadpool(
        _proposals(request).propose, body.lat, body.lon, body.reason, channel
    )


@router.post("/proposals/{proposal_id}/support", responses=problems(404))
async def support(request: Request, proposal_id: ProposalId) -> dict[str, Any]:
    return await run_in_threadpool(_proposals(request).support, proposal_id)


@router.post("/proposals/{proposal_id}/decision", responses=problems(401, 403, 404, 422))
async def decide(
    request: Request,
    proposal_id: ProposalId,
    body: ProposalDecision,
    agent: CurrentAgent,
    token: BearerToken,
) -> dict[str, Any]:
    """Review, accept or decline; an accepted proposal is a virtual stop at once."""
    by = f"{agent.role.value}:{hashlib.sha256((token or '').encode()).hexdigest()[:8]}"
    return await run_in_threadpool(
        _proposals(request).decide, proposal_id, body.status, body.reason, body.name, by
    )


@router.get("/planning/unmet", responses=problems(401, 403, 422))
async def unmet(
    request: Request,
    agent: CurrentAgent,
    month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", examples=["2026-11"])],
    group: Annotated[str, Query(pattern="^(" + "|".join(GROUPS) + ")$")] = "all",
) -> dict[str, Any]:
    """Unmet demand on hexagons (rejected, long walks, long waits) and every proposal."""
    runtime = _runtime(request)

    def collect() -> dict[str, Any]:
        start, end = month_bounds(parse_month(month), runtime.config)
        trips, missed = (
            runtime.repo.trips_between(start, end),
            runtime.repo.unmet_between(start, end),
        )
        cells = unmet_cells(trips, missed, runtime.network.node_coords, group)
        proposals = [
            {**p, "channel": q.channel, "decided_by": q.decided_by, "decided_at": q.decided_at}
            for p, q in zip(
                _proposals(request).listing(), reversed(runtime.repo.list_proposals()), strict=True
            )
        ]
        return {"month": month, "group": group, "cells": cells, "proposals": proposals}

    return await run_in_threadpool(collect)
