from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from dispatch.errors import InputError
from dispatch.model import BookingStatus
from dispatch.service.booking import BookingView, QuotedOffer, QuoteResult
from dispatch.store.records import Place
from rider_api.problems import install_problem_handlers
from rider_api.schemas import (
    AgentBookingCreate,
    BookingCreate,
    BookingCreatedPublic,
    BookingPublic,
    LocationIn,
    QuoteCreate,
    QuotePublic,
    RiderCreate,
    ShiftCreate,
    StandingOrderCreate,
    VehicleCreate,
    localise,
)

BERLIN = ZoneInfo("Europe/Berlin")
HELSINKI = ZoneInfo("Europe/Helsinki")
QUOTE = {"origin": {"stop_id": "osm-10"}, "destination": {"lat": 50.01, "lon": 11.5}}


def quote(**changes: Any) -> dict[str, Any]:
    return {**QUOTE, **changes}


def message(model: type[BaseModel], data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return "; ".join(str(e["msg"]) for e in caught.value.errors())


def test_minimal_quote_defaults() -> None:
    q = QuoteCreate.model_validate(QUOTE)
    assert (q.passengers, q.wheelchairs, q.depart_after, q.arrive_by) == (1, 0, None, None)


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (quote(passengers=0), "passengers must be between 1 and 20"),
        (quote(passengers=10_000), "larger groups please call the hotline"),
        (quote(passengers="3"), "valid integer"),
        (quote(passengers=True), "valid integer"),
        (quote(passengers=2.5), "valid integer"),
        (quote(wheelchairs=5, passengers=6), "wheelchairs must be between 0 and 4"),
        (quote(wheelchairs=-1), "wheelchairs must be between 0 and 4"),
        (quote(wheelchairs=2), "wheelchairs cannot exceed passengers"),
        (quote(origin={"lat": 91, "lon": 11}), "less than or equal to 90"),
        (quote(origin={"lat": 50, "lon": -181}), "greater than or equal to -180"),
        (quote(origin={"lat": 50}), "both lat and lon"),
        (quote(origin={}), "give either stop_id or both lat and lon"),
        (quote(origin={"stop_id": "a", "lat": 50, "lon": 11}), "not both"),
        (quote(origin={"stop_id": "a b"}), "match pattern"),
        (quote(origin={"lat": "NaN", "lon": 11}), "finite number"),
        (quote(destination={"stop_id": "osm-10"}), "same stop"),
        (
            quote(depart_after="2025-03-14T08:00:00+01:00", arrive_by="2025-03-14T09:00:00+01:00"),
            "not both",
        ),
        (quote(depart_after="tomorrow morning"), "valid datetime"),
        (quote(depart_after=1_700_000_000), "ISO 8601"),
        (quote(when="now"), "Extra inputs are not permitted"),
    ],
)
def test_bad_quotes(data: dict[str, Any], text: str) -> None:
    assert text in message(QuoteCreate, data)


def test_aware_time_is_kept() -> None:
    q = QuoteCreate.model_validate(quote(arrive_by="2025-03-14T09:00:00+01:00"))
    wanted = q.requested_time(BERLIN, datetime(2025, 3, 14, tzinfo=UTC))
    assert wanted.kind == "arrive_by"
    assert wanted.at == datetime(2025, 3, 14, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(("zone", "utc_hour"), [(BERLIN, 7), (HELSINKI, 6)])
def test_naive_time_is_read_in_the_service_zone(zone: ZoneInfo, utc_hour: int) -> None:
    q = QuoteCreate.model_validate(quote(depart_after="2025-03-14T08:00:00"))
    wanted = q.requested_time(zone, datetime(2025, 3, 14, tzinfo=UTC))
    assert wanted.kind == "depart_after"
    assert wanted.at == datetime(2025, 3, 14, utc_hour, tzinfo=UTC)


def test_no_time_means_now() -> None:
    now = datetime(2025, 3, 14, 7, 3, tzinfo=UTC)
    wanted = QuoteCreate.model_validate(QUOTE).requested_time(BERLIN, now)
    assert (wanted.kind, wanted.at) == ("depart_after", now)


def test_time_skipped_by_daylight_saving_is_refused() -> None:
    with pytest.raises(InputError, match="does not exist"):
        localise(datetime(2025, 3, 30, 2, 30), BERLIN)
    assert localise(datetime(2025, 10, 26, 2, 30), BERLIN).utcoffset() == timedelta(hours=2)


def test_location_forms() -> None:
    assert LocationIn.model_validate({"stop_id": "osm-1"}).lat is None
    assert LocationIn.model_validate({"lat": 0, "lon": 0}).stop_id is None


def test_booking_bodies() -> None:
    body = {"offer_id": "o-1", "rider": {"name": " Anna ", "phone": "+49 921 1234"}}
    booking = BookingCreate.model_validate(body)
    assert booking.rider.name == "Anna"
    assert "at least 1 character" in message(
        BookingCreate, {"offer_id": "o-1", "rider": {"name": "  "}}
    )
    assert "phone number" in message(
        BookingCreate, {"offer_id": "o-1", "rider": {"name": "A", "phone": "call me"}}
    )
    assert message(AgentBookingCreate, {"offer_id": "o-1"}) == "Field required"
    assert "at most 500" in message(
        BookingCreate, {"offer_id": "o-1", "rider": {"name": "A"}, "notes": "x" * 501}
    )


def test_rider_create() -> None:
    rider = RiderCreate.model_validate(
        {
            "name": "Anna Gräf",
            "phone": "0921 / 12 34",
            "needs": {"walker": True, "extra_boarding_s": 120},
            "home": {"label": "Hauptstraße 3", "lat": 50.0, "lon": 11.5},
        }
    )
    assert (rider.language, rider.needs.walker, rider.needs.wheelchair) == ("de", True, False)
    assert "String should match pattern" in message(
        RiderCreate, {"name": "A", "phone": "123", "language": "deutsch!"}
    )
    assert "less than or equal to 900" in message(
        RiderCreate, {"name": "A", "phone": "123", "needs": {"extra_boarding_s": 3600}}
    )


STANDING = {
    "rider_id": "r-1",
    "weekdays": ["mon", "thu"],
    "time": "08:15",
    "origin": {"stop_id": "osm-10"},
    "destination": {"stop_id": "osm-11"},
    "start_date": "2025-04-01",
    "end_date": "2025-06-30",
    "exceptions": ["2025-05-01"],
}


def test_standing_order() -> None:
    order = StandingOrderCreate.model_validate(STANDING)
    assert order.exceptions == [date(2025, 5, 1)]
    assert order.time_kind == "depart_after"


@pytest.mark.parametrize(
    ("changes", "text"),
    [
        ({"weekdays": []}, "at least 1 item"),
        ({"weekdays": ["mon", "mon"]}, "twice"),
        ({"weekdays": ["monday"]}, "Input should be 'mon'"),
        ({"end_date": "2025-03-01"}, "before start_date"),
        ({"end_date": "2030-01-01"}, "at most 732 days"),
        ({"exceptions": ["2025-08-01"]}, "outside the date range"),
        ({"time": "25:00"}, "valid time"),
    ],
)
def test_bad_standing_orders(changes: dict[str, Any], text: str) -> None:
    assert text in message(StandingOrderCreate, {**STANDING, **changes})


def test_fleet_bodies() -> None:
    vehicle = {"vehicle_id": "bus-1", "seats": 8, "depot": {"lat": 50, "lon": 11.5}}
    assert VehicleCreate.model_validate(vehicle).wheelchair_places == 0
    assert "less than or equal to 60" in message(VehicleCreate, {**vehicle, "seats": 400})
    shift = {"vehicle_id": "bus-1", "start": "2025-03-14T06:00", "end": "2025-03-14T14:00"}
    assert ShiftCreate.model_validate(shift).start_depot is None
    assert "ends before it starts" in message(ShiftCreate, {**shift, "end": "2025-03-14T05:00"})
    assert "at most 16 hours" in message(ShiftCreate, {**shift, "end": "2025-03-15T06:00"})
    # Breaks are taken from the driver app (on/off break), not planned here.
    assert "Extra inputs" in message(ShiftCreate, {**shift, "breaks": []})
    assert "both without" in message(ShiftCreate, {**shift, "end": "2025-03-14T14:00+01:00"})


STOP = Place("Trebgast, Bahnhof", 50.0, 11.5, "osm-10", 7)
POINT = Place("near Kirche", 50.01, 11.49, None, 8)
T0 = int(datetime(2025, 3, 14, 7, 0, tzinfo=UTC).timestamp())


def _view(status: BookingStatus, pickup_eta: int | None, **more: Any) -> BookingView:
    window = (T0, T0 + 600, T0 + 2400)
    return BookingView("b-1", status, STOP, POINT, 2, 1, *window, pickup_eta, None, **more)


def test_a_quote_is_answered_as_the_server_sends_it() -> None:
    offer = QuotedOffer("o-1", STOP, POINT, T0, T0 + 600, T0 + 300, T0 + 1500, T0 + 2400, T0 + 90)
    body = QuotePublic.of(QuoteResult("q-1", (offer,)), BERLIN).model_dump(mode="json")
    sent = body["offers"][0]
    assert sent["pickup"] == {
        "stop_id": "osm-10", "lat": 50.0, "lon": 11.5, "name": "Trebgast, Bahnhof",
        "window_start": "2025-03-14T08:00:00+01:00", "window_end": "2025-03-14T08:10:00+01:00",
        "eta": "2025-03-14T08:05:00+01:00",
    }  # fmt: skip
    assert sent["dropoff"]["stop_id"] is None and sent["dropoff"]["name"] == "near Kirche"
    assert sent["dropoff"]["eta"] == "2025-03-14T08:25:00+01:00"
    none = QuotePublic.of(QuoteResult("q-2", (), "no bus", (T0 + 3600,)), UTC)
    # Alternatives are times (ISO 8601, UTC as +00:00 like every other instant), not offers.
    assert none.model_dump(mode="json")["alternatives"] == ["2025-03-14T08:00:00+00:00"]
    assert QuotePublic.model_validate(body) == QuotePublic.of(QuoteResult("q-1", (offer,)), BERLIN)


def test_a_booking_is_answered_as_the_server_sends_it() -> None:
    view = _view(BookingStatus.CONFIRMED, T0 + 360, access_token="tok")
    created = BookingCreatedPublic.of(view, BERLIN).model_dump(mode="json")
    assert created["status"] == "confirmed" and created["access_token"] == "tok"
    assert created["pickup_eta"] == "2025-03-14T08:06:00+01:00" and created["dropoff_eta"] is None
    assert set(created["dropoff"]) == {"stop_id", "lat", "lon", "name", "latest_arrival"}
    unplaced = _view(BookingStatus.UNPLACED, None, notice="call us")
    shown = BookingPublic.of(unplaced, BERLIN).model_dump(mode="json")
    assert shown["notice"] == "call us" and "access_token" not in shown
    with pytest.raises(ValidationError, match="access_token"):
        BookingPublic.model_validate({**created})
    # What a retry with the same Idempotency-Key gets: the stored view, answered alike.
    assert BookingView.from_json(view.as_json()) == view


# -- over HTTP: any body gets a 2xx or a 4xx problem, never a 500 or a traceback ------


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/v1/quotes")
    def post_quote(body: QuoteCreate) -> dict[str, int]:
        return {"passengers": body.passengers}

    @app.post("/v1/standing-orders")
    def post_order(body: StandingOrderCreate) -> dict[str, int]:
        return {"days": len(body.weekdays)}

    return app


CLIENT = TestClient(_app())
JSON = {"Content-Type": "application/json"}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)
quote_like = st.fixed_dictionaries(
    {},
    optional={
        "origin": json_values | st.just({"stop_id": "a"}),
        "destination": json_values | st.just({"lat": 50.0, "lon": 11.0}),
        "passengers": json_values,
        "wheelchairs": json_values,
        "depart_after": json_values | st.datetimes().map(datetime.isoformat),
        "arrive_by": json_values,
    },
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(body=quote_like | json_values)
def test_any_quote_body_gets_an_answer_or_a_problem(body: Any) -> None:
    payload = json.dumps(body).encode()  # allows NaN/Infinity, which the API must refuse
    response = CLIENT.post("/v1/quotes", content=payload, headers=JSON)
    assert response.status_code in (200, 400, 422), response.text
    if response.status_code != 200:
        assert response.headers["content-type"] == "application/problem+json"
        assert "Traceback" not in response.text


def test_absurd_passenger_count_over_http() -> None:
    response = CLIENT.post("/v1/quotes", json=quote(passengers=99999))
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "passengers",
            "message": "passengers must be between 1 and 20 (larger groups please call the hotline), not 99999",
            "type": "value_error",
        }
    ]


def test_standing_order_over_http() -> None:
    assert CLIENT.post("/v1/standing-orders", json=STANDING).json() == {"days": 2}
    bad = CLIENT.post("/v1/standing-orders", json={**STANDING, "weekdays": ["mon", "mon"]})
    assert bad.status_code == 422
    assert bad.json()["detail"] == "weekdays lists a day twice"
