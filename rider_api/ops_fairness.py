"""``GET /v1/ops/fairness``: the day's figures by rider group, for the dispatcher view."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from dispatch.errors import InputError
from dispatch.opendata.trips import Villages, public_trips
from dispatch.service.runtime import Runtime
from dispatch.sim.fairness import centre_places, group_rows, served_gap
from rider_api.deps import CurrentAgent, RuntimeDep
from rider_api.openapi import problems
from rider_api.schemas.ops import FairnessOptionPublic, FairnessPublic, GroupFiguresPublic

router = APIRouter(prefix="/v1/ops", tags=["dispatcher"])


@router.get("/fairness", response_model=FairnessPublic, responses=problems(401, 403, 422))
async def fairness(
    runtime: RuntimeDep,
    agent: CurrentAgent,
    day: Annotated[
        str | None,
        Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="the service day (default: today)"),
    ] = None,
) -> FairnessPublic:
    """Served share, wait, lateness and rejections by group: wheelchair, phone/app,
    standing order, village, centre/periphery (staff only: not k-anonymous); with the
    fairness option, where the day stands against its bound (``fairness_option``)."""

    def collect() -> FairnessPublic:
        zone = runtime.config.zone
        when = _day(day) if day else datetime.fromtimestamp(runtime.clock(), zone).date()
        start = int(datetime(when.year, when.month, when.day, tzinfo=zone).timestamp())
        end = int(
            (datetime(when.year, when.month, when.day, tzinfo=zone) + timedelta(days=1)).timestamp()
        )
        trips = public_trips(
            runtime.repo.trips_between(start, end), runtime.repo.unmet_between(start, end),
            Villages(runtime.network.places), zone,
        )  # fmt: skip
        rows = group_rows(trips, centre_places(runtime.network.places))
        return FairnessPublic(
            day=when,
            groups=[GroupFiguresPublic.model_validate(r) for r in rows],
            wheelchair_gap=served_gap(rows),
            fairness_option=option_state(runtime, when),
        )

    return await run_in_threadpool(collect)


def option_state(runtime: Runtime, day: date) -> FairnessOptionPublic | None:
    """The fairness option as the booking service applies it on ``day`` (None: off)."""
    fairness = runtime.booking.fairness
    if fairness is None:
        return None
    gap = fairness.gap(day)
    return FairnessOptionPublic(
        max_gap=gap.max_gap,
        extra_wait_min=gap.extra_wait_min,
        wheelchair_share=gap.wheelchair_share,
        others_share=gap.others_share,
        trailing_by=gap.trailing_by,
        asks_again=gap.asks_again,
    )


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"day: {text!r} is not a date like 2026-11-25") from None
