"""Validated parameters of the live engine (the service definition fills them in)."""

from __future__ import annotations

from dataclasses import dataclass, field

from dispatch.solver.params import ObjectiveParams, RideTimeRule

PROMISE_POLICIES = ("window", "max_wait")


@dataclass(frozen=True, slots=True)
class ServiceTimes:
    """Seconds for boarding and alighting; longer for wheelchairs."""

    boarding_s: int = 60
    alighting_s: int = 45
    wheelchair_extra_s: int = 180

    def __post_init__(self) -> None:
        if min(self.boarding_s, self.alighting_s, self.wheelchair_extra_s) < 0:
            raise ValueError("service times must not be negative")


@dataclass(frozen=True, slots=True)
class RebalanceParams:
    """When and where idle buses move (the engine's ``rebalance`` option)."""

    #: A bus covers the demand it can reach within this many seconds.
    coverage_s: int = 600
    #: Expected demand: the pickups asked for during this many seconds before now.
    horizon_s: int = 3600
    #: A relocation drives no longer than this.
    max_drive_s: int = 900
    #: A relocation must cover at least this many more recent requests than staying.
    min_gain: float = 4.0
    #: The bus must be back at its depot this many seconds before its shift ends.
    shift_margin_s: int = 300

    def __post_init__(self) -> None:
        values = (self.coverage_s, self.horizon_s, self.max_drive_s, self.shift_margin_s)
        if min(values) < 0 or self.min_gain < 0:
            raise ValueError("rebalancing times and gain must not be negative")


@dataclass(frozen=True, slots=True)
class EngineParams:
    """How the engine quotes, holds offers and re-optimises."""

    offer_hold_s: int = 120
    max_wait_s: int = 900
    pickup_window_s: int = 600
    #: How long before the planned pickup the promised window opens (None: half its width).
    pickup_window_before_s: int | None = None
    #: "window": promise a ``pickup_window_s`` window around the planned pickup;
    #: "max_wait": promise [requested time, requested time + ``max_wait_s``].
    promise_policy: str = "window"
    arrive_early_s: int = 1800
    offers_per_quote: int = 3
    no_show_wait_s: int = 180
    reoptimise_debounce_s: int = 5
    reoptimise_period_s: int = 60
    #: Re-optimise ``reoptimise_debounce_s`` after a booking, cancellation or no-show (and
    #: not only every ``reoptimise_period_s``).
    reoptimise_after_change: bool = True
    solver_time_limit_s: float = 2.0
    min_improvement: float = 1.0
    #: The next stop is locked (no re-optimisation may put another stop before it) once
    #: the vehicle is at it or must leave for it within this many seconds.
    lock_ahead_s: int = 900
    #: Whether a quote without offers looks for the nearest feasible times (riders of
    #: the live service want them; a replay's simulated riders do not).
    quote_alternatives: bool = True
    #: When insertion finds no place, try moving one or two other bookings to make room.
    quote_reassign: bool = True
    #: A planned break may start up to this many seconds after its planned start.
    break_flex_s: int = 1800
    ride_time: RideTimeRule = field(default_factory=RideTimeRule)
    service: ServiceTimes = field(default_factory=ServiceTimes)
    objective: ObjectiveParams = field(default_factory=ObjectiveParams)
    #: Send idle buses towards expected demand (``dispatch.engine.rebalance``); None: off.
    rebalance: RebalanceParams | None = None

    def __post_init__(self) -> None:
        positive = {
            "offer_hold_s": self.offer_hold_s,
            "max_wait_s": self.max_wait_s,
            "pickup_window_s": self.pickup_window_s,
            "offers_per_quote": self.offers_per_quote,
            "reoptimise_period_s": self.reoptimise_period_s,
        }
        for name, value in positive.items():
            if value <= 0:
                raise ValueError(f"{name} must be positive")
        if self.solver_time_limit_s <= 0:
            raise ValueError("solver_time_limit_s must be positive")
        if self.no_show_wait_s < 0 or self.reoptimise_debounce_s < 0 or self.lock_ahead_s < 0:
            raise ValueError("waits must not be negative")
        if self.break_flex_s < 0:
            raise ValueError("waits must not be negative")
        before = self.pickup_window_before_s
        if before is not None and not 0 <= before <= self.pickup_window_s:
            raise ValueError("pickup_window_before_s must be between 0 and pickup_window_s")
        if self.promise_policy not in PROMISE_POLICIES:
            raise ValueError(f"promise_policy must be one of {', '.join(PROMISE_POLICIES)}")
