"""What a punctual driver does, for every simulated bus (replay and demo alike).

A simulated bus is only honest if it does what a real one can: it drives the road path
at the road network's travel times, from where it really is and from when it is really
there; a stop takes the time its riders need; and it reports each event when it
happens, never ahead of time. The rules below are the driver's part of that, shared
by the replay's buses (:mod:`dispatch.sim.vehicles`) and the demo's websocket drivers
(:mod:`dispatch.demo.fleet`), so that both behave the same way:

* **Leave late, not early.** A bus waits where it is until it must leave to reach its
  next stop at the planned start of service. Standing still keeps it free for rides
  that come up meanwhile, and the dispatcher knows exactly where it is.
* **Serve on the plan's time.** Service begins once the bus is there *and* the plan
  says so (the promised window has opened, or the plan holds the pickup back so that
  nobody rides longer than the ride-time rule allows); it takes the stop's full
  boarding or alighting time; only then does the driver report ``boarded`` or
  ``alighted`` and drive on.
"""

from __future__ import annotations


def leave_at(now: int, planned_start: int, travel_s: int) -> int:
    """When to leave for a stop ``travel_s`` away so as to be there at ``planned_start``."""
    return max(now, planned_start - travel_s)


def service_start(arrival: int, planned_start: int) -> int:
    """Service begins when the bus is there and the plan's time has come."""
    return max(arrival, planned_start)


def service_end(start: int, service_s: int) -> int:
    """Boarding or alighting (or a break) lasts its full time."""
    return start + max(0, service_s)
