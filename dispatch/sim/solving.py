"""Re-optimisation for replays: the live pipeline, bounded by counts instead of the clock.

The live service gives its solver a wall-clock deadline; a replay must give the same
result for the same input and seed on any machine and under any load. So it runs the
very same search (:func:`dispatch.solver.improve.solve`: large-neighbourhood search
alternating with OR-Tools' guided local search, the same objective) with a fixed number
of LNS iterations and a fixed number of OR-Tools search steps per round. A generous
wall-clock cap only guards against a runaway solve and is never reached in practice.
"""

from __future__ import annotations

import time
from dataclasses import replace

from dispatch.engine.adapters.worker import SolveOutcome
from dispatch.model import Plan, Snapshot
from dispatch.solver.improve import ImproveParams, solve
from dispatch.solver.params import ObjectiveParams

#: Only a safety net: a replay's solve takes milliseconds to a few tenths of a second.
SAFETY_LIMIT_S = 120.0


class CountedSolver:
    """Solves in the calling thread within fixed counts: deterministic."""

    def __init__(
        self,
        objective: ObjectiveParams,
        iterations: int,
        ortools_steps: int = 0,
        seed: int = 0,
        rounds: int = 1,
        max_remove: int = 8,
        quick_iterations: int | None = None,
    ) -> None:
        self.objective = objective
        self.improve = ImproveParams(
            use_ortools=ortools_steps > 0,
            max_iterations=iterations,
            ortools_steps=ortools_steps or None,
            rounds=rounds,
            max_remove=max_remove,
        )
        self.quick = replace(
            self.improve,
            use_ortools=False,
            ortools_steps=None,
            max_iterations=iterations if quick_iterations is None else quick_iterations,
        )
        self.seed = seed
        self.solves = 0

    def solve(
        self, snapshot: Snapshot, warm_start: Plan, time_limit_s: float, deep: bool = True
    ) -> SolveOutcome:
        """``time_limit_s`` (the live deadline) is not used: the counts bound the work.

        Each solve draws its own seed from the replay's, so that solving the same
        situation again searches elsewhere (as the live solver's clock-bound search does).
        A quick solve (not ``deep``) is the search without OR-Tools. A solve that finds
        nothing better answers ``None``: the engine keeps its plan without comparing.
        """
        started = time.perf_counter()
        self.solves += 1
        result = solve(
            snapshot,
            self.objective,
            SAFETY_LIMIT_S,
            seed=self.seed * 1_000_003 + self.solves,
            warm_start=warm_start,
            improve=self.improve if deep else self.quick,
        )
        seconds = time.perf_counter() - started
        if result.plan.cost.total >= warm_start.cost.total:
            return SolveOutcome(None, seconds, "no better plan found")
        return SolveOutcome(result.plan, seconds)

    def close(self) -> None:
        return None
