"""Keep a request that got no offer, so that planners and the open data see unmet demand."""

from __future__ import annotations

import logging

from dispatch.service.booking import BookingService, PlaceInput, QuoteInput, QuoteResult
from dispatch.store.errors import StoreError
from dispatch.store.history import UnmetRequest

log = logging.getLogger(__name__)


def quote_and_record(service: BookingService, q: QuoteInput, channel: str) -> QuoteResult:
    """The quote; when it has no offer, the request is stored (a failure to store is logged,
    the rider still gets the answer)."""
    answer = service.quote(q)
    if not answer.offers:
        origin, destination = _point(service, q.origin), _point(service, q.destination)
        when = q.depart_after if q.depart_after is not None else q.arrive_by
        unmet = UnmetRequest(
            service.clock(),
            when if when is not None else service.clock(),
            *origin,
            *destination,
            q.passengers,
            q.wheelchairs,
            channel,
            (answer.reason or "")[:200],
        )
        try:
            service.repo.record_unmet(unmet)
        except StoreError as exc:
            log.warning("an unmet request was not stored: %s", exc)
    return answer


def _point(service: BookingService, place: PlaceInput) -> tuple[float, float]:
    if place.stop_id is not None:
        stop = service.stops.get(place.stop_id)
        return stop.lat, stop.lon
    assert place.lat is not None and place.lon is not None
    return place.lat, place.lon
