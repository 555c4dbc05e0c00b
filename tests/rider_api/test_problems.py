from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from dispatch import errors
from rider_api.problems import PROBLEM_JSON, ProblemSpec, install_problem_handlers
from rider_api.schemas import QuoteCreate


class OfferGone(errors.ConflictError):
    def __init__(self, fresh: list[str]) -> None:
        super().__init__("the offer has expired")
        self.fresh = fresh


class Foreign(Exception):
    """Not part of the hierarchy, but mapped through ``extra``."""


class Item(BaseModel):
    name: str = Field(min_length=1)
    count: int = Field(ge=1)


RAISES: dict[str, Exception] = {
    "input": errors.InputError("lat must be a number"),
    "snap": errors.SnapError("that point is 3 km from any road"),
    "missing": errors.NotFoundError("no booking b-1"),
    "conflict": errors.ConflictError("already cancelled"),
    "auth": errors.AuthError("token missing"),
    "forbidden": errors.ForbiddenError("agents only"),
    "infeasible": errors.InfeasibleError("no vehicle can make it"),
    "unavailable": errors.UnavailableError("starting up"),
    "roads": errors.NoDrivableRoadError("no roads"),
    "plain": errors.DispatchError("cannot do that"),
    "gone": OfferGone(["o-2"]),
    "foreign": Foreign("mapped"),
    "bug": ZeroDivisionError("division by zero in secret_module.py"),
}


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(
        app,
        extra={
            OfferGone: ProblemSpec(409, "Offer gone", lambda e: {"fresh": getattr(e, "fresh", [])}),
            Foreign: ProblemSpec(418, "Mapped"),
        },
    )

    @app.get("/raise/{name}")
    def raise_(name: str) -> None:
        raise RAISES[name]

    @app.get("/http")
    def http() -> None:
        raise HTTPException(429, "slow down", headers={"Retry-After": "3"})

    @app.post("/items")
    def items(item: Item) -> dict[str, Any]:
        return item.model_dump()

    @app.post("/quotes")
    def quotes(quote: QuoteCreate) -> dict[str, int]:
        return {"passengers": quote.passengers}

    return app


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(_app()) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("name", "status", "title"),
    [
        ("input", 422, "Invalid input"),
        ("snap", 422, "Location not reachable by road"),
        ("missing", 404, "Not found"),
        ("conflict", 409, "Conflict"),
        ("auth", 401, "Not authenticated"),
        ("forbidden", 403, "Forbidden"),
        ("infeasible", 422, "Request cannot be served"),
        ("unavailable", 503, "Service unavailable"),
        ("roads", 503, "Road network unavailable"),
        ("plain", 422, "Request cannot be served"),
        ("foreign", 418, "Mapped"),
    ],
)
def test_errors_map_to_problems(client: TestClient, name: str, status: int, title: str) -> None:
    response = client.get(f"/raise/{name}")
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json() == {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": str(RAISES[name]),
    }


def test_401_asks_for_bearer(client: TestClient) -> None:
    assert client.get("/raise/auth").headers["www-authenticate"] == "Bearer"
    assert "www-authenticate" not in client.get("/raise/forbidden").headers


def test_extra_members(client: TestClient) -> None:
    body = client.get("/raise/gone").json()
    assert (body["status"], body["title"], body["fresh"]) == (409, "Offer gone", ["o-2"])


def test_unexpected_error_is_logged_500_without_traceback(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="rider_api.problems"):
        response = client.get("/raise/bug")
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["title"] == "Internal error"
    assert "secret_module" not in response.text and "Traceback" not in response.text
    assert [r.exc_info[0] for r in caplog.records if r.exc_info] == [ZeroDivisionError]


def test_http_exception_keeps_status_and_headers(client: TestClient) -> None:
    response = client.get("/http")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "3"
    assert response.json()["title"] == "Too Many Requests"
    assert response.json()["detail"] == "slow down"


def test_unknown_route_and_method(client: TestClient) -> None:
    assert client.get("/nowhere").json()["status"] == 404
    response = client.delete("/items")
    assert response.status_code == 405
    assert response.headers["content-type"] == PROBLEM_JSON


def test_validation_errors_list_each_field(client: TestClient) -> None:
    response = client.post("/items", json={"name": "", "count": 0, "extra": 1})
    assert response.status_code == 422
    body = response.json()
    assert body["title"] == "Invalid request"
    assert [e["field"] for e in body["errors"]] == ["name", "count"]
    assert body["detail"].startswith("name: String should have at least 1 character; count:")
    assert "input" not in body["errors"][0]  # what was sent is not echoed back


def test_missing_body(client: TestClient) -> None:
    body = client.post("/items").json()
    assert body["status"] == 422
    message = "the request needs a JSON body (Content-Type: application/json)"
    assert body["errors"] == [{"field": "", "message": message, "type": "missing"}]
    assert body["detail"] == message


def test_json_sent_without_its_content_type_is_told_so(client: TestClient) -> None:
    """`curl -d '{…}'` sends form encoding: the answer says what to send instead."""
    response = client.post(
        "/items",
        content=b'{"name": "x", "count": 1}',
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 422
    assert response.json()["detail"] == (
        "the request body must be a JSON object, sent with Content-Type: application/json"
    )


def test_a_json_array_for_an_object_is_told_so(client: TestClient) -> None:
    response = client.post("/items", json=[1, 2])
    assert response.status_code == 422
    assert "JSON object" in response.json()["detail"]


@pytest.mark.parametrize("payload", [b"{", b'{"name": "x",}', b"not json", b'{"name": "\xff"}'])
def test_malformed_json_is_400(client: TestClient, payload: bytes) -> None:
    response = client.post("/items", content=payload, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["detail"] == "request body is not valid JSON"


def test_model_validator_message_is_clear(client: TestClient) -> None:
    body = {
        "origin": {"stop_id": "a", "lat": 50.0, "lon": 11.5},
        "destination": {"stop_id": "b"},
        "passengers": 500,
    }
    errors_ = client.post("/quotes", json=body).json()["errors"]
    assert {e["field"]: e["message"] for e in errors_} == {
        "origin": "give either stop_id or lat and lon, not both",
        "passengers": "passengers must be between 1 and 20 (larger groups please call the hotline), not 500",
    }
