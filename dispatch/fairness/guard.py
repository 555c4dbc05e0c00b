"""A dispatch option that keeps wheelchair users from being systematically worse off.

The guard counts, over the day so far, how many requests of wheelchair users and of
everyone else got a bus. When a wheelchair user's request gets no offer within the
normal maximum wait and their served share trails the others' by more than
``max_gap``, the request is asked once more with the earliest pickup moved
``extra_wait_s`` later (a longer wait instead of a refusal). The price is paid in
vehicle-km (longer detours) and in that rider's wait; replays measure both.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from dispatch.engine.events import TripSpec


@dataclass(frozen=True, slots=True)
class FairnessParams:
    """``max_gap``: the largest allowed gap in served share (0–1), e.g. 0.05."""

    max_gap: float
    extra_wait_s: int = 900

    def __post_init__(self) -> None:
        if not 0 <= self.max_gap <= 1:
            raise ValueError("max_gap must be between 0 and 1")
        if self.extra_wait_s <= 0:
            raise ValueError("extra_wait_s must be positive")


@dataclass(slots=True)
class FairnessGuard:
    params: FairnessParams
    #: group -> [requests, served]; group: True for wheelchair users.
    counts: dict[bool, list[int]] = field(default_factory=lambda: {True: [0, 0], False: [0, 0]})

    def record(self, wheelchair: bool, served: bool) -> None:
        self.counts[wheelchair][0] += 1
        self.counts[wheelchair][1] += int(served)

    def share(self, wheelchair: bool) -> float | None:
        requests, served = self.counts[wheelchair]
        return served / requests if requests else None

    def second_chance(self, spec: TripSpec) -> TripSpec | None:
        """The request asked later, if its group trails by more than the bound; else None."""
        if spec.wheelchairs == 0 or spec.depart_after is None:
            return None
        if not trails(self.share(True), self.share(False), self.params.max_gap):
            return None
        return replace(spec, depart_after=spec.depart_after + self.params.extra_wait_s)


def trails(wheelchair: float | None, others: float | None, max_gap: float) -> bool:
    """Whether wheelchair users' served share trails the others' by more than ``max_gap``.

    Without a share for either group yet (the first requests of the day) it counts as
    trailing: a refusal would open the gap, so the request is asked once more.
    """
    if wheelchair is None or others is None:
        return True
    return others - wheelchair > max_gap
