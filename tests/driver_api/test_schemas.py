"""The stream's tagged union: what is accepted, and what a refusal says."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from driver_api.schemas import (
    Ack,
    Hello,
    PlanMessage,
    Position,
    StopEventIn,
    client_message,
    describe,
)


def test_each_client_message_type_parses_to_its_class() -> None:
    assert isinstance(client_message.validate_json('{"type":"hello","token":"t"}'), Hello)
    assert isinstance(client_message.validate_json('{"type":"ack","id":"1","version":3}'), Ack)
    position = client_message.validate_json(
        '{"type":"position","id":"2","lat":50.0,"lon":11.5,"at":"2026-11-25T08:00:00+01:00"}'
    )
    assert isinstance(position, Position) and position.at is not None
    event = client_message.validate_json(
        '{"type":"stop_event","id":"3","stop_id":"b_1/pickup","event":"no_show"}'
    )
    assert isinstance(event, StopEventIn) and event.event == "no_show"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('{"type":"position","id":"x","lat":91,"lon":11}', "lat"),
        ('{"type":"ack","version":1}', "id"),
        ('{"type":"stop_event","id":"x","stop_id":"s","event":"exploded"}', "event"),
        ('{"type":"ack","id":"x","version":1,"extra":true}', "extra"),
        ('{"type":"warp","id":"x"}', "type"),
        ("[1, 2]", ""),
    ],
)
def test_invalid_messages_are_refused_with_the_field_named(text: str, where: str) -> None:
    with pytest.raises(ValidationError) as refused:
        client_message.validate_json(text)
    assert where in describe(refused.value)


def test_plan_message_accepts_the_published_payload_shape() -> None:
    stop = {
        "stop_id": "b_1/pickup",
        "kind": "pickup",
        "booking_id": "b_1",
        "name": "Kirche",
        "virtual_stop_id": "osm-1",
        "lat": 50.0,
        "lon": 11.5,
        "eta": "2026-11-25T08:00:00+01:00",
        "service_start": None,
        "departure": None,
        "window_start": None,
        "window_end": None,
        "passengers": 2,
        "wheelchairs": 1,
        "rider": {"first_name": "Erna", "notes": ""},
        "travel_s": 60,
        "route_to": "_p~iF~ps|U",
    }
    plan = PlanMessage.model_validate(
        {
            "type": "plan",
            "vehicle_id": "bus-1",
            "shift_id": "bus-1@2026-11-25",
            "version": 4,
            "created_at": None,
            "stops": [stop],
        }
    )
    assert plan.stops[0].rider is not None and plan.stops[0].rider.first_name == "Erna"
    with pytest.raises(ValidationError):
        PlanMessage.model_validate({**plan.model_dump(), "stops": [{**stop, "kind": "teleport"}]})
