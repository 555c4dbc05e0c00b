"""Place search hits and stops."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from rider_api.schemas.common import Latitude, Longitude, PublicModel


class PlaceHitPublic(PublicModel):
    """One hit of ``GET /v1/places``: pass ``stop_id`` (for stops) or ``lat``/``lon`` to a quote."""

    kind: Literal["stop", "place", "street"]
    id: str
    name: str
    context: str
    lat: Latitude
    lon: Longitude
    score: float


class StopPublic(PublicModel):
    stop_id: str
    name: str
    lat: Latitude
    lon: Longitude
    source: str | None = Field(
        default=None, description="osm (bus stop), place (a village centre) or file"
    )
