"""What a rider reads about a booking no bus's plan holds: not a silent "confirmed"."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

from dispatch.config import load_service_config
from dispatch.model import BookingStatus
from dispatch.service.booking import UNPLACED_NOTICE, BookingService
from dispatch.service.etas import EtaBoard
from dispatch.store.records import Booking
from rider_api.schemas.bookings import BookingPublic
from tests.store.factories import NOW, make_booking

ZONE = ZoneInfo("Europe/Berlin")


def booking(status: BookingStatus) -> Booking:
    new = make_booking()
    fields: dict[str, Any] = {
        name: getattr(new, name)
        for name in (
            "rider_id", "origin", "destination", "passengers", "wheelchairs",
            "extra_boarding_s", "depart_after", "arrive_by", "pickup_window_start",
            "pickup_window_end", "latest_arrival", "planned_pickup", "planned_dropoff",
            "vehicle_id", "access_token_hash", "notes", "standing_order_id",
        )
    }  # fmt: skip
    return Booking(id="b1", status=status, boarded_at=None, created_at=NOW, updated_at=NOW,
                   version=1, **fields)  # fmt: skip


def service() -> BookingService:
    config = load_service_config(None, osm_source="unused.osm")
    return BookingService(None, None, None, None, config, lambda: NOW, EtaBoard())  # type: ignore[arg-type]


def test_an_unplaced_booking_says_so() -> None:
    view = service().view(replace(booking(BookingStatus.UNPLACED), vehicle_id=None))
    assert view.notice == UNPLACED_NOTICE
    body = BookingPublic.of(view, ZONE).model_dump(mode="json")
    assert body["status"] == "unplaced" and body["notice"] == UNPLACED_NOTICE
    assert body["pickup"]["window_start"]  # the promise is still there


def test_a_confirmed_booking_has_no_notice() -> None:
    body = BookingPublic.of(service().view(booking(BookingStatus.CONFIRMED)), ZONE)
    assert body.status == "confirmed" and body.notice is None
