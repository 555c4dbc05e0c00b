"""A small app with the real problem handlers, deps and places router, and fakes behind them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from dispatch.search import SearchEntry, SearchIndex
from rider_api import places
from rider_api.auth import StaffTokens
from rider_api.problems import install_problem_handlers

ADMIN = "admin-token-0123456789"
AGENT = "agent-token-0123456789"


@dataclass(frozen=True)
class FakeStop:
    id: str
    name: str
    lat: float
    lon: float


STOPS = [
    FakeStop("osm-10", "Trebgast, Bahnhof", 50.067, 11.553),
    FakeStop("osm-11", "Kirche", 50.013, 11.504),
]
ENTRIES = [
    SearchEntry("place", "place-1", "Trebgast", 50.066, 11.551, population=1600),
    SearchEntry("place", "place-2", "Neudrossenfeld", 50.012, 11.503, population=3800),
    SearchEntry("stop", "osm-10", "Trebgast, Bahnhof", 50.067, 11.553, "Trebgast"),
    SearchEntry("stop", "osm-11", "Kirche", 50.013, 11.504, "Neudrossenfeld"),
    SearchEntry("street", "street-1", "Bayreuther Straße", 50.011, 11.506, "Neudrossenfeld"),
]


def make_app(*, ready: bool = True) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(places.router)
    if ready:
        app.state.staff_tokens = StaffTokens(admin=[ADMIN], agents=[AGENT])
        app.state.search_index = SearchIndex(ENTRIES)
        app.state.stops = STOPS
        app.state.time_zone = ZoneInfo("Europe/Berlin")
    return app


@pytest.fixture
def app() -> FastAPI:
    return make_app()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
