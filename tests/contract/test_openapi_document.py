"""The OpenAPI document describes every successful answer with a schema.

No route of the rider, hotline, dispatcher, admin or driver API may answer 2xx with an
untyped object (``dict[str, Any]``), a bare ``Response`` without a documented body, or
a model that allows members it does not name: the document is generated from the
routes' Public schemas, so this keeps the routes typed.
"""

from __future__ import annotations

from typing import Any

import pytest

from dispatch.model import BookingStatus
from tests.contract.openapi import JSON, NOT_JSON, operations, service_document, untyped_parts


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return service_document()


def test_every_successful_answer_has_a_typed_schema(document: dict[str, Any]) -> None:
    components = document["components"]["schemas"]
    found: list[str] = []
    checked = 0
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            if not status.startswith("2"):
                continue
            content = response.get("content")
            if not content:
                found.append(f"{method} {path} {status}: no documented body")
                continue
            for media, body in content.items():
                if media.startswith(NOT_JSON):
                    continue
                assert media == JSON, f"{method} {path} {status}: {media}"
                checked += 1
                schema = body.get("schema") or {}
                found += untyped_parts(schema, components, f"{method} {path} {status}", frozenset())
    assert checked >= 35  # every JSON route of both APIs
    assert not found, "\n".join(found)


def test_one_booking_status_from_the_engine_to_the_api(document: dict[str, Any]) -> None:
    """The API's booking states are the engine's and the store's: one enum, end to end."""
    import dispatch.engine.events as events
    import dispatch.store.records as records
    import rider_api.schemas.bookings as schemas

    assert events.BookingStatus is records.BookingStatus is schemas.BookingStatus is BookingStatus
    documented = document["components"]["schemas"]["BookingStatus"]["enum"]
    assert documented == [s.value for s in BookingStatus]


def test_the_check_finds_an_untyped_answer() -> None:
    """The walker itself: ``dict[str, Any]``, open models and bare lists are found."""
    components = {
        "Open": {"type": "object", "properties": {"a": {"type": "integer"}}},
        "Closed": {
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"items": {}, "type": "array"}},
            "additionalProperties": False,
        },
    }
    untyped = {"type": "object", "additionalProperties": True}
    assert untyped_parts(untyped, components, "r", frozenset()) == [
        "r: an object without named members"
    ]
    assert untyped_parts({"$ref": "#/components/schemas/Open"}, components, "r", frozenset()) == [
        "r→Open: an object that allows undescribed members"
    ]
    assert untyped_parts({"$ref": "#/components/schemas/Closed"}, components, "r", frozenset()) == [
        "r→Closed.b[0]: any value"
    ]
    assert untyped_parts({}, components, "r", frozenset()) == ["r: any value"]
    typed_map = {"type": "object", "additionalProperties": {"type": "string"}}
    assert untyped_parts(typed_map, components, "r", frozenset()) == []
