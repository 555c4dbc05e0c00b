"""Conversions between table rows and the plain records callers see."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dispatch.model import BookingId, BookingStatus, ShiftId, VehicleId
from dispatch.store.records import (
    Address,
    Booking,
    Break,
    NewBooking,
    Offer,
    Place,
    PlanVersion,
    Rider,
    RiderNeeds,
    ShiftRecord,
    ShiftStatus,
    StandingOrder,
    StopRecord,
    StopSource,
    VehicleRecord,
)
from dispatch.store.tables import (
    BookingRow,
    OfferRow,
    PlanVersionRow,
    RiderRow,
    ShiftRow,
    StandingOrderRow,
    StopRow,
    VehicleRow,
)


def rider(row: RiderRow) -> Rider:
    home = None
    if row.home_address is not None:
        home = Address(row.home_address, row.home_lat, row.home_lon)
    needs = RiderNeeds(
        wheelchair=bool(row.needs.get("wheelchair", False)),
        walker=bool(row.needs.get("walker", False)),
        extra_boarding_s=int(row.needs.get("extra_boarding_s", 0)),
    )
    return Rider(row.id, row.name, row.phone, row.language, needs, home, row.created_at)


def needs_json(needs: RiderNeeds) -> dict[str, Any]:
    return {
        "wheelchair": needs.wheelchair,
        "walker": needs.walker,
        "extra_boarding_s": needs.extra_boarding_s,
    }


def booking_values(new: NewBooking, now: int) -> dict[str, Any]:
    """The ``bookings`` columns of a new booking (confirmed now, version 1)."""
    return {
        "id": new.booking_id,
        "rider_id": new.rider_id,
        "status": BookingStatus.CONFIRMED.value,
        "origin_stop_id": new.origin.stop_id,
        "origin_name": new.origin.name,
        "origin_lat": new.origin.lat,
        "origin_lon": new.origin.lon,
        "origin_node": new.origin.node,
        "destination_stop_id": new.destination.stop_id,
        "destination_name": new.destination.name,
        "destination_lat": new.destination.lat,
        "destination_lon": new.destination.lon,
        "destination_node": new.destination.node,
        "passengers": new.passengers,
        "wheelchairs": new.wheelchairs,
        "extra_boarding_s": new.extra_boarding_s,
        "max_ride_s": new.max_ride_s,
        "depart_after": new.depart_after,
        "arrive_by": new.arrive_by,
        "pickup_window_start": new.pickup_window_start,
        "pickup_window_end": new.pickup_window_end,
        "latest_arrival": new.latest_arrival,
        "planned_pickup": new.planned_pickup,
        "planned_dropoff": new.planned_dropoff,
        "vehicle_id": new.vehicle_id,
        "boarded_at": None,
        "access_token_hash": new.access_token_hash,
        "notes": new.notes,
        "standing_order_id": new.standing_order_id,
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }


def booking_row(new: NewBooking, now: int) -> BookingRow:
    return BookingRow(**booking_values(new, now))


def new_booking(new: NewBooking, now: int) -> Booking:
    """The record of ``new`` as :func:`booking` reads it back after the insert."""
    return _booking(booking_values(new, now).__getitem__)


def booking(row: BookingRow) -> Booking:
    return _booking(row.__getattribute__)


def _booking(column: Callable[[str], Any]) -> Booking:
    """A booking from its columns, read one by one (a row's attributes, or the values of
    a new row: the engine's booking commit writes plain statements, no row object)."""
    origin = Place(
        column("origin_name"),
        column("origin_lat"),
        column("origin_lon"),
        column("origin_stop_id"),
        column("origin_node"),
    )
    destination = Place(
        column("destination_name"),
        column("destination_lat"),
        column("destination_lon"),
        column("destination_stop_id"),
        column("destination_node"),
    )
    return Booking(
        id=BookingId(column("id")),
        rider_id=column("rider_id"),
        status=BookingStatus(column("status")),
        origin=origin,
        destination=destination,
        passengers=column("passengers"),
        wheelchairs=column("wheelchairs"),
        extra_boarding_s=column("extra_boarding_s"),
        depart_after=column("depart_after"),
        arrive_by=column("arrive_by"),
        pickup_window_start=column("pickup_window_start"),
        pickup_window_end=column("pickup_window_end"),
        latest_arrival=column("latest_arrival"),
        planned_pickup=column("planned_pickup"),
        planned_dropoff=column("planned_dropoff"),
        vehicle_id=_shift(column("vehicle_id")),
        boarded_at=column("boarded_at"),
        access_token_hash=column("access_token_hash"),
        notes=column("notes"),
        standing_order_id=column("standing_order_id"),
        created_at=column("created_at"),
        updated_at=column("updated_at"),
        version=column("version"),
        max_ride_s=column("max_ride_s"),
    )


def offer(row: OfferRow) -> Offer:
    return _offer(row.__getattribute__)


def offer_from(values: Mapping[str, Any]) -> Offer:
    """An offer from its columns (a plain SELECT's row)."""
    return _offer(values.__getitem__)


def _offer(column: Callable[[str], Any]) -> Offer:
    return Offer(
        offer_id=column("offer_id"),
        quote_id=column("quote_id"),
        request=dict(column("request")),
        promise=dict(column("promise")),
        expires_at=column("expires_at"),
        created_at=column("created_at"),
        vehicle_id=_shift(column("vehicle_id")),
        consumed_by=column("consumed_by"),
    )


def vehicle(row: VehicleRow) -> VehicleRecord:
    return VehicleRecord(
        id=VehicleId(row.id),
        name=row.name,
        seats=row.seats,
        wheelchair_places=row.wheelchair_places,
        depot_lat=row.depot_lat,
        depot_lon=row.depot_lon,
        device_token_hash=row.device_token_hash,
        last_lat=row.last_lat,
        last_lon=row.last_lon,
        last_at=row.last_at,
    )


def shift(row: ShiftRow) -> ShiftRecord:
    return ShiftRecord(
        vehicle_id=VehicleId(row.vehicle_id),
        start_at=row.start_at,
        end_at=row.end_at,
        start_depot_lat=row.start_depot_lat,
        start_depot_lon=row.start_depot_lon,
        end_depot_lat=row.end_depot_lat,
        end_depot_lon=row.end_depot_lon,
        breaks=tuple(Break(int(b["start_at"]), int(b["end_at"])) for b in row.breaks),
        status=ShiftStatus(row.status),
        id=row.id,
    )


def stop(row: StopRow) -> StopRecord:
    return StopRecord(row.id, row.name, row.lat, row.lon, StopSource(row.source), row.node)


def plan_version(row: PlanVersionRow) -> PlanVersion:
    return PlanVersion(ShiftId(row.vehicle_id), row.version, row.created_at, list(row.stops))


def _shift(vehicle_id: str | None) -> ShiftId | None:
    """The ids a row stores are what the engine planned: shifts (``bus-1@2026-11-25``)."""
    return None if vehicle_id is None else ShiftId(vehicle_id)


def place_json(place: Place) -> dict[str, Any]:
    return {
        "name": place.name,
        "lat": place.lat,
        "lon": place.lon,
        "stop_id": place.stop_id,
        "node": place.node,
    }


def place(data: dict[str, Any]) -> Place:
    node = data.get("node")
    return Place(
        str(data["name"]),
        float(data["lat"]),
        float(data["lon"]),
        data.get("stop_id"),
        None if node is None else int(node),
    )


def standing_order(row: StandingOrderRow) -> StandingOrder:
    return StandingOrder(
        rider_id=row.rider_id,
        weekdays=tuple(row.weekdays),
        time_of_day=row.time_of_day,
        time_kind=row.time_kind,
        origin=place(row.origin),
        destination=place(row.destination),
        valid_from=row.valid_from,
        passengers=row.passengers,
        wheelchairs=row.wheelchairs,
        valid_until=row.valid_until,
        exceptions=tuple(row.exceptions),
        active=row.active,
        id=row.id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
