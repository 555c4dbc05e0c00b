from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.rider_api.conftest import make_app


def test_search_finds_typo(client: TestClient) -> None:
    response = client.get("/v1/places", params={"q": "trebgas"})
    assert response.status_code == 200
    hits = response.json()
    assert hits[0] == {
        "kind": "place",
        "id": "place-1",
        "name": "Trebgast",
        "context": "",
        "lat": 50.066,
        "lon": 11.551,
        "score": hits[0]["score"],
    }
    assert [h["id"] for h in hits] == ["place-1", "osm-10"]


def test_search_with_context_and_limit(client: TestClient) -> None:
    response = client.get("/v1/places", params={"q": "Neudrossenfeld Kirche", "limit": 1})
    assert [h["id"] for h in response.json()] == ["osm-11"]


def test_search_without_match_is_empty_list(client: TestClient) -> None:
    response = client.get("/v1/places", params={"q": "Xylophon"})
    assert (response.status_code, response.json()) == (200, [])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "query q"),
        ({"q": ""}, "query q"),
        ({"q": "x" * 101}, "query q"),
        ({"q": "Trebgast", "limit": 0}, "query limit"),
        ({"q": "Trebgast", "limit": 51}, "query limit"),
        ({"q": "Trebgast", "limit": "many"}, "query limit"),
    ],
)
def test_bad_search_parameters(
    client: TestClient, params: dict[str, str | int], field: str
) -> None:
    response = client.get("/v1/places", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_query_of_punctuation_only_is_an_input_problem(client: TestClient) -> None:
    response = client.get("/v1/places", params={"q": "?!."})
    assert response.status_code == 422
    assert "empty" in response.json()["detail"]


def test_stops(client: TestClient) -> None:
    response = client.get("/v1/stops")
    assert response.status_code == 200
    assert response.json() == [
        {
            "stop_id": "osm-10",
            "name": "Trebgast, Bahnhof",
            "lat": 50.067,
            "lon": 11.553,
            "source": None,
        },
        {"stop_id": "osm-11", "name": "Kirche", "lat": 50.013, "lon": 11.504, "source": None},
    ]


@pytest.mark.parametrize("path", ["/v1/stops", "/v1/places?q=Trebgast"])
def test_not_ready_is_503(path: str) -> None:
    with TestClient(make_app(ready=False)) as client:
        response = client.get(path)
    assert response.status_code == 503
    assert response.json()["title"] == "Service unavailable"


def test_routes_are_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/places", "/v1/stops"} <= set(paths)
