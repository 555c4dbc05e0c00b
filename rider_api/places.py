"""``GET /v1/places`` (name search over stops, places, streets) and ``GET /v1/stops``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from dispatch.search import SearchParams
from rider_api.deps import SearchDep, StopsDep
from rider_api.schemas import PlaceHitPublic, Problem, StopPublic

_LIMITS = SearchParams()

router = APIRouter(prefix="/v1", tags=["places"])


@router.get(
    "/places",
    response_model=list[PlaceHitPublic],
    responses={422: {"model": Problem, "description": "Empty or too long search text"}},
)
def search_places(
    index: SearchDep,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=_LIMITS.max_query_chars,
            description="part of a stop, place or street name; typos and missing umlauts are fine",
            examples=["trebgas", "Neudrossenfeld Kirche"],
        ),
    ],
    limit: Annotated[int, Query(ge=1, le=_LIMITS.max_limit)] = 10,
) -> list[PlaceHitPublic]:
    return [PlaceHitPublic.model_validate(hit) for hit in index.search(q, limit)]


@router.get("/stops", response_model=list[StopPublic])
def list_stops(stops: StopsDep) -> list[StopPublic]:
    return [
        StopPublic(
            stop_id=s.id, name=s.name, lat=s.lat, lon=s.lon, source=getattr(s, "source", None)
        )
        for s in stops
    ]
