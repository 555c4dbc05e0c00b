"""Latest planned pickup and drop-off times per booking, readable from any thread."""

from __future__ import annotations

import threading

from dispatch.model import Route, StopKind


class EtaBoard:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._etas: dict[str, tuple[int | None, int | None]] = {}

    def update(self, route: Route) -> None:
        with self._lock:
            for stop in route.stops:
                pickup, dropoff = self._etas.get(str(stop.request_id), (None, None))
                if stop.kind is StopKind.PICKUP:
                    pickup = stop.start
                else:
                    dropoff = stop.start
                self._etas[str(stop.request_id)] = (pickup, dropoff)

    def get(self, booking_id: str) -> tuple[int | None, int | None] | None:
        with self._lock:
            return self._etas.get(booking_id)
