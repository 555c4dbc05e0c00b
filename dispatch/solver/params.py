"""Validated parameter objects of the solver (no globals, no magic numbers in code)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ObjectiveParams:
    """Weights of the objective.

    ``drive_weight`` per second of vehicle driving, ``wait_weight`` per second a rider
    waits for the pickup beyond the time asked for, ``excess_ride_weight`` per second a
    rider rides longer than the direct trip, ``unserved_penalty`` per new request left
    unserved (high, so that serving is always preferred when feasible).
    """

    drive_weight: float = 1.0
    excess_ride_weight: float = 0.2
    unserved_penalty: float = 100_000.0
    wait_weight: float = 0.0

    def __post_init__(self) -> None:
        if min(self.drive_weight, self.excess_ride_weight, self.wait_weight) < 0:
            raise ValueError("objective weights must not be negative")
        if self.unserved_penalty <= 0:
            raise ValueError("unserved_penalty must be positive")


@dataclass(frozen=True, slots=True)
class RideTimeRule:
    """Maximum ride time as a function of the direct travel time: ``factor × direct + extra_s``.

    What counts as the ride time, and the latest drop-off a limit allows, is defined once
    next to ``Request`` in ``dispatch.model`` (``ride_s``, ``latest_dropoff_start``).
    """

    factor: float = 1.5
    extra_s: int = 600

    def __post_init__(self) -> None:
        if self.factor < 1.0:
            raise ValueError("ride-time factor must be at least 1.0")
        if self.extra_s < 0:
            raise ValueError("ride-time extra seconds must not be negative")

    def max_ride_s(self, direct_s: int) -> int:
        return int(self.factor * direct_s) + self.extra_s


@dataclass(frozen=True, slots=True)
class PromiseParams:
    """How offers turn a planned pickup into a promise.

    The promised pickup window is ``window_width_s`` wide and opens ``window_before_s``
    before the planned pickup; alternative offers differ by at least
    ``min_separation_s`` in their pickup time. With ``max_wait_only`` the promise is the
    rider's own window instead: from the requested time to the maximum wait.
    """

    window_before_s: int = 300
    window_width_s: int = 600
    min_separation_s: int = 600
    #: Promise the rider's whole acceptable pickup window ([requested time, + max wait])
    #: instead of a narrower window around the planned pickup (as in the literature).
    max_wait_only: bool = False

    def __post_init__(self) -> None:
        if self.window_width_s <= 0:
            raise ValueError("window_width_s must be positive")
        if not 0 <= self.window_before_s <= self.window_width_s:
            raise ValueError("window_before_s must be between 0 and window_width_s")
        if self.min_separation_s < 0:
            raise ValueError("min_separation_s must not be negative")
