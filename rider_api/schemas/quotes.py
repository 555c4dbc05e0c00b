"""Quotes: what a rider asks for (``QuoteCreate``) and the offers they get (``QuotePublic``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from dispatch.service.booking import QuotedOffer, QuoteResult
from dispatch.store.records import Place
from rider_api.schemas.common import (
    Id,
    Instant,
    Latitude,
    LocationIn,
    Longitude,
    Passengers,
    PublicModel,
    ServiceTime,
    StrictBody,
    Wheelchairs,
    at_zone,
    localise,
)


@dataclass(frozen=True, slots=True)
class RequestedTime:
    """When the rider wants to travel, as an aware instant."""

    kind: Literal["depart_after", "arrive_by"]
    at: datetime


class QuoteCreate(StrictBody):
    """``POST /v1/quotes``. Without ``depart_after`` and ``arrive_by`` the ride is for now."""

    origin: LocationIn
    destination: LocationIn
    depart_after: Instant | None = None
    arrive_by: Instant | None = None
    passengers: Passengers = 1
    wheelchairs: Wheelchairs = 0
    walker: bool = Field(
        default=False, description="a rider with a walker: longer boarding and alighting"
    )
    extra_boarding_s: Annotated[int, Field(strict=True, ge=0, le=900)] = Field(
        default=0, description="extra seconds the rider needs to board and to alight"
    )
    rider_id: Id | None = Field(
        default=None,
        description="a registered rider whose recorded needs apply (hotline agents only)",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.depart_after is not None and self.arrive_by is not None:
            raise ValueError("give depart_after or arrive_by, not both")
        if self.wheelchairs > self.passengers:
            raise ValueError("wheelchairs cannot exceed passengers")
        if self.origin.stop_id is not None and self.origin.stop_id == self.destination.stop_id:
            raise ValueError("origin and destination are the same stop")
        return self

    def requested_time(self, zone: tzinfo, now: datetime) -> RequestedTime:
        """The wanted time; naive times are read in ``zone`` and no time means ``now``."""
        if self.arrive_by is not None:
            return RequestedTime("arrive_by", localise(self.arrive_by, zone))
        if self.depart_after is not None:
            return RequestedTime("depart_after", localise(self.depart_after, zone))
        return RequestedTime("depart_after", localise(now, zone))


class StopPoint(PublicModel):
    """Where the bus stops: a virtual stop (``stop_id``) or a point with a name near it."""

    stop_id: str | None = None
    lat: Latitude
    lon: Longitude
    name: str

    @classmethod
    def of(cls, place: Place, **times: datetime) -> Self:
        return cls(stop_id=place.stop_id, lat=place.lat, lon=place.lon, name=place.name, **times)


class PickupPublic(StopPoint):
    """Where and when the bus picks up: within the window, expected at ``eta``."""

    window_start: ServiceTime
    window_end: ServiceTime
    eta: ServiceTime


class DropoffPublic(StopPoint):
    """Where the ride ends: expected at ``eta``, at the latest at ``latest_arrival``."""

    eta: ServiceTime
    latest_arrival: ServiceTime


class OfferPublic(PublicModel):
    offer_id: str
    pickup: PickupPublic
    dropoff: DropoffPublic
    expires_at: ServiceTime

    @classmethod
    def of(cls, o: QuotedOffer, zone: tzinfo) -> OfferPublic:
        return cls(
            offer_id=o.offer_id,
            pickup=PickupPublic.of(
                o.origin,
                window_start=at_zone(o.window_start, zone),
                window_end=at_zone(o.window_end, zone),
                eta=at_zone(o.pickup_eta, zone),
            ),
            dropoff=DropoffPublic.of(
                o.destination,
                eta=at_zone(o.dropoff_eta, zone),
                latest_arrival=at_zone(o.latest_arrival, zone),
            ),
            expires_at=at_zone(o.expires_at, zone),
        )


class QuotePublic(PublicModel):
    """The answer to a quote: offers, or a ``reason`` and maybe ``alternatives`` (times at
    which a ride could be offered; ask again with one of them)."""

    quote_id: str
    offers: list[OfferPublic] = Field(default_factory=list)
    reason: str | None = None
    alternatives: list[ServiceTime] = Field(default_factory=list)

    @classmethod
    def of(cls, q: QuoteResult, zone: tzinfo) -> QuotePublic:
        return cls(
            quote_id=q.quote_id,
            offers=[OfferPublic.of(o, zone) for o in q.offers],
            reason=q.reason,
            alternatives=[at_zone(t, zone) for t in q.alternatives],
        )
