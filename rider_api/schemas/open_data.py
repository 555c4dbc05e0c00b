"""``GET /v1/open/{month}``: a month's published, k-anonymous tables (the /open page)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from rider_api.schemas.common import PublicModel
from rider_api.schemas.ops import GroupFiguresPublic


class FiguresPublic(PublicModel):
    """Requests, served share, waits and rides (minutes), late and phone shares (0..1)."""

    requests: int
    served: int
    served_share: float | None
    rejected: int
    wait_median_min: float | None
    wait_p90_min: float | None
    ride_median_min: float | None
    ride_p90_min: float | None
    late_share: float | None
    phone_share: float | None


class DayRow(FiguresPublic):
    date: dt.date
    vehicle_km: float
    occupancy: float | None = Field(description="passenger km per vehicle km")


class DayVillageRow(FiguresPublic):
    date: dt.date
    village: str = Field(description="where the rides started; '(other)' for merged ones")


class HourRow(PublicModel):
    date: dt.date
    hour: int | None = Field(description="None: hours merged for privacy")
    requests: int
    served: int


class FlowRow(PublicModel):
    origin_village: str
    destination_village: str
    requests: int
    served: int


class SuppressionRow(PublicModel):
    """What a table left out because fewer than k requests would be shown."""

    table: str
    cells: int
    requests: int


class OpenTablesPublic(PublicModel):
    days: list[DayRow]
    day_villages: list[DayVillageRow]
    hours: list[HourRow]
    flows: list[FlowRow]
    fairness: list[GroupFiguresPublic]
    suppression: list[SuppressionRow]


class PointGeometry(PublicModel):
    type: Literal["Point"]
    coordinates: tuple[float, float] = Field(description="lon, lat (GeoJSON order)")


class VillageProperties(PublicModel):
    village: str
    requests: int
    served_share: float | None


class VillageFeature(PublicModel):
    type: Literal["Feature"]
    geometry: PointGeometry
    properties: VillageProperties


class VillagesPublic(PublicModel):
    """GeoJSON: the villages with at least k requests in the month."""

    type: Literal["FeatureCollection"]
    features: list[VillageFeature]


class OpenTotalsPublic(PublicModel):
    requests: int
    served: int
    vehicle_km: float


class OpenMonthPublic(PublicModel):
    month: str
    service: str
    k: int = Field(description="no published cell counts fewer requests than this")
    licence: str
    totals: OpenTotalsPublic | None = Field(
        description="the whole month; null when it counts fewer than k requests (the "
        "days' table may leave out every day of a quiet month, the month may still count)"
    )
    tables: OpenTablesPublic
    villages: VillagesPublic
