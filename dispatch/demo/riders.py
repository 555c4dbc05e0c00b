"""Demo riders: people who book plausible trips through the real rider API.

Trips go between the service's virtual stops that are at least ``min_trip_m`` apart,
mostly from village centres, for one or two people (now and then with a wheelchair),
departing in the next hour. Each quote's first offer is booked with an
Idempotency-Key, as the rider app does.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

log = logging.getLogger(__name__)

FIRST_NAMES = (
    "Erna", "Hans", "Gerda", "Klaus", "Monika", "Jürgen", "Renate", "Dieter", "Lena",
    "Paul", "Sabine", "Wolfgang", "Ursula", "Tobias", "Anna", "Heinz",
)  # fmt: skip
NOTES = ("", "", "", "", "walks with a rollator", "please ring the bell", "has a large bag")


@dataclass(frozen=True, slots=True)
class RiderParams:
    #: Demo seconds between two booking attempts (on average).
    every_s: float = 180.0
    #: Bookings tried at once when the demo starts.
    initial: int = 4
    min_trip_m: float = 1500.0
    #: Departure this many minutes after "now" (one is chosen at random).
    lead_min: tuple[int, ...] = (10, 15, 20, 30, 45, 60)


@dataclass
class DemoRiders:
    base_url: str
    clock: Callable[[], int]
    rng: random.Random
    wall_seconds: Callable[[float], float]
    params: RiderParams = field(default_factory=RiderParams)
    booked: int = 0
    refused: int = 0

    async def run(self) -> None:
        """Book now and then, until cancelled."""
        async with httpx.AsyncClient(base_url=self.base_url, timeout=30) as client:
            stops = await self._stops(client)
            if len(stops) < 2:
                log.error("demo riders: the service has fewer than two stops")
                return
            for _ in range(self.params.initial):
                await self.book_one(client, stops)
            while True:
                pause = self.rng.expovariate(1.0 / self.params.every_s)
                await asyncio.sleep(self.wall_seconds(pause))
                await self.book_one(client, stops)

    async def _stops(self, client: httpx.AsyncClient) -> list[dict[str, Any]]:
        response = await client.get("/v1/stops")
        response.raise_for_status()
        stops: list[dict[str, Any]] = response.json()
        villages = [s for s in stops if s.get("source") == "place"]
        return villages if len(villages) >= 4 else stops

    def trip(self, stops: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
        for _ in range(50):
            a, b = self.rng.sample(stops, 2)
            if _distance_m(a, b) >= self.params.min_trip_m:
                return a, b
        a, b = self.rng.sample(stops, 2)
        return a, b

    async def book_one(self, client: httpx.AsyncClient, stops: list[dict[str, Any]]) -> None:
        origin, destination = self.trip(stops)
        passengers = self.rng.choices((1, 2, 3), weights=(75, 20, 5))[0]
        wheelchairs = 1 if self.rng.random() < 0.08 else 0
        depart = self.clock() + 60 * self.rng.choice(self.params.lead_min)
        quote = {
            "origin": {"stop_id": origin["stop_id"]},
            "destination": {"stop_id": destination["stop_id"]},
            "depart_after": datetime.fromtimestamp(depart, UTC).isoformat(),
            "passengers": passengers,
            "wheelchairs": wheelchairs,
        }
        try:
            await self._quote_and_book(client, quote, origin, destination)
        except httpx.HTTPError as exc:
            log.warning("demo rider: the service did not answer: %s", exc)

    async def _quote_and_book(
        self,
        client: httpx.AsyncClient,
        quote: dict[str, Any],
        origin: dict[str, Any],
        destination: dict[str, Any],
    ) -> None:
        answer = await client.post("/v1/quotes", json=quote)
        offers = answer.json().get("offers", []) if answer.status_code == 200 else []
        if not offers:
            self.refused += 1
            reason = answer.json().get("reason") or answer.json().get("detail")
            log.info(
                "demo rider: no offer %s → %s: %s", origin["name"], destination["name"], reason
            )
            return
        offer = offers[0]
        name = self.rng.choice(FIRST_NAMES)
        body = {
            "offer_id": offer["offer_id"],
            "rider": {"name": name},
            "notes": self.rng.choice(NOTES),
        }
        booked = await client.post(
            "/v1/bookings", json=body, headers={"Idempotency-Key": uuid.uuid4().hex}
        )
        if booked.status_code != 201:
            self.refused += 1
            log.info("demo rider: booking refused: %s", booked.json().get("detail"))
            return
        self.booked += 1
        pickup = offer["pickup"]
        log.info(
            "demo rider %s booked %s: %s → %s, %d passenger(s), pickup %s–%s",
            name,
            booked.json()["booking_id"],
            origin["name"],
            destination["name"],
            quote["passengers"],
            pickup["window_start"][11:16],
            pickup["window_end"][11:16],
        )


def _distance_m(a: dict[str, Any], b: dict[str, Any]) -> float:
    kx = math.cos(math.radians((a["lat"] + b["lat"]) / 2))
    return math.hypot((b["lat"] - a["lat"]) * 111_320, (b["lon"] - a["lon"]) * 111_320 * kx)
