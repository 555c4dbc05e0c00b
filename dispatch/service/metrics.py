"""What the service exposes to Prometheus at ``GET /metrics``.

Each running service has its own registry (several services may run in one test
process). Latencies and results are counted where they happen (the HTTP edge times
quotes and bookings, the driver stream counts its connections); the engine's own
figures — solver runs, adoptions, drive time saved, the command queue, the leader — are
read when Prometheus scrapes, so the engine thread never waits for the metrics.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

#: Seconds; quotes are meant to take a few milliseconds, a 503 comes after about a second.
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)

#: What a booking attempt ended in, by the HTTP status the rider got.
BOOKING_RESULTS = {
    201: "confirmed",  # also a retry with the same Idempotency-Key: the same answer again
    409: "conflict",
    410: "offer_gone",
    503: "unavailable",
}

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def booking_result(status: int) -> str:
    """The ``result`` label of a booking attempt that was answered with ``status``."""
    if status in BOOKING_RESULTS:
        return BOOKING_RESULTS[status]
    return "rejected" if 400 <= status < 500 else "error"


@dataclass(frozen=True)
class EngineFigures:
    """The engine's counters at one moment (read when Prometheus scrapes)."""

    solver_runs: int
    adoptions: int
    bookings_moved: int
    drive_saved_s: int
    queue_depth: int
    leader: bool


#: Set by ``dispatch api`` for its worker processes: each writes its counts to files
#: there, and every worker's ``/metrics`` adds up all of them (Prometheus' multiprocess mode).
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"


class ServiceMetrics:
    """The metrics of one service area's process (or, with several API worker processes,
    of all of them: see ``MULTIPROCESS_ENV``)."""

    def __init__(self, area: str) -> None:
        self.area = area
        self.shared_dir = os.environ.get(MULTIPROCESS_ENV) or None
        self.registry = CollectorRegistry(auto_describe=True)
        self.quote_seconds = Histogram(
            "dispatch_quote_seconds",
            "Time to answer a quote request (POST /v1/quotes), by HTTP status.",
            ["area", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.booking_seconds = Histogram(
            "dispatch_booking_seconds",
            "Time to answer a booking attempt (POST /v1/bookings), by result.",
            ["area", "result"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.bookings = Counter(
            "dispatch_booking_attempts",
            "Booking attempts by result (confirmed, conflict, offer_gone, unavailable, "
            "rejected, error); a retry with the same Idempotency-Key counts again.",
            ["area", "result"],
            registry=self.registry,
        )
        self.devices = Gauge(
            "dispatch_connected_devices",
            "Driver devices connected over the websocket stream right now.",
            ["area"],
            registry=self.registry,
            multiprocess_mode="livesum",  # the sum over the running worker processes
        )
        self._engine: Collector | None = None
        self.devices.labels(area).set(0)
        for result in {*BOOKING_RESULTS.values(), "rejected", "error"}:
            self.bookings.labels(area, result)  # every result shows, also at 0

    def observe_quote(self, seconds: float, status: int) -> None:
        self.quote_seconds.labels(self.area, str(status)).observe(seconds)

    def observe_booking(self, seconds: float, status: int) -> None:
        result = booking_result(status)
        self.booking_seconds.labels(self.area, result).observe(seconds)
        self.bookings.labels(self.area, result).inc()

    def device_connected(self) -> None:
        self.devices.labels(self.area).inc()

    def device_disconnected(self) -> None:
        self.devices.labels(self.area).dec()

    def watch_engine(self, read: Callable[[], EngineFigures]) -> None:
        """Report the engine's figures, read by ``read`` at every scrape."""
        self._engine = _EngineCollector(self.area, read)
        self.registry.register(self._engine)

    def exposition(self) -> bytes:
        """The Prometheus text format of everything above (of this area)."""
        if self.shared_dir is None:
            return generate_latest(self.registry)
        merged = CollectorRegistry(auto_describe=False)
        shared = MultiProcessCollector(None, path=self.shared_dir)  # type: ignore[no-untyped-call]
        merged.register(_OfArea(shared, self.area))
        if self._engine is not None:
            merged.register(self._engine)
        return generate_latest(merged)


class _OfArea(Collector):
    """The series of one area from a collector that holds every area's."""

    def __init__(self, inner: Collector, area: str) -> None:
        self.inner, self.area = inner, area

    def collect(self) -> Iterator[Metric]:
        for family in self.inner.collect():
            family.samples = [s for s in family.samples if s.labels.get("area") == self.area]
            if family.samples:
                yield family


class _EngineCollector(Collector):
    def __init__(self, area: str, read: Callable[[], EngineFigures]) -> None:
        self.area, self.read = area, read

    def describe(self) -> list[object]:
        return []  # described at collection: the values are read then

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        f = self.read()
        counters = (
            ("dispatch_solver_runs", "Re-optimisations the solver ran.", f.solver_runs),
            ("dispatch_plan_adoptions", "Re-optimised plans the engine adopted.", f.adoptions),
            (
                "dispatch_bookings_moved",
                "Bookings that adopted plans moved to another bus.",
                f.bookings_moved,
            ),
            (
                "dispatch_drive_saved_seconds",
                "Driving time the adopted plans saved against the plans they replaced.",
                f.drive_saved_s,
            ),
        )
        for name, text, value in counters:
            family = CounterMetricFamily(name, text, labels=["area"])
            family.add_metric([self.area], value)
            yield family
        depth = GaugeMetricFamily(
            "dispatch_engine_queue_depth",
            "Commands and events waiting for the engine.",
            labels=["area"],
        )
        depth.add_metric([self.area], f.queue_depth)
        yield depth
        leader = GaugeMetricFamily(
            "dispatch_engine_leader",
            "1 when this process holds the engine of the area (its single writer).",
            labels=["area"],
        )
        leader.add_metric([self.area], 1 if f.leader else 0)
        yield leader
