"""Small builders for store tests."""

from __future__ import annotations

from dispatch.store.records import Booking, NewBooking, Offer, Place

NOW = 1_780_000_000  # a fixed "now" in 2026


def make_offer(offer_id: str = "o1", expires_at: int = NOW + 120) -> Offer:
    return Offer(
        offer_id=offer_id,
        quote_id="q1",
        request={"passengers": 1},
        promise={"pickup": [NOW + 600, NOW + 1200], "latest_arrival": NOW + 2400},
        expires_at=expires_at,
        created_at=NOW,
        vehicle_id="bus-1",
    )


def make_booking(booking_id: str = "b1", rider_id: str | None = None) -> NewBooking:
    return NewBooking(
        booking_id=booking_id,
        rider_id=rider_id,
        origin=Place("Harsdorf", 50.0276, 11.5689, stop_id="s-harsdorf", node=347262760),
        destination=Place("Neudrossenfeld", 50.0185, 11.5018),
        passengers=2,
        wheelchairs=1,
        depart_after=NOW + 600,
        pickup_window_start=NOW + 600,
        pickup_window_end=NOW + 1200,
        latest_arrival=NOW + 2400,
        vehicle_id="bus-1",
    )


def response_for(booking: Booking) -> dict[str, object]:
    return {"booking_id": booking.id, "status": booking.status.value}
