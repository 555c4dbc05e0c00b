"""Re-optimisation for replays: the live solver's search, bounded by iterations.

The live service gives the solver a wall-clock deadline; a replay must instead give
the same result for the same seed on any machine and under any load, so the
large-neighbourhood search runs a fixed number of iterations (its annealing schedule
follows the iteration count) and OR-Tools, whose guided local search is bounded by
time, is left out. A generous wall-clock cap only guards against a runaway solve.
"""

from __future__ import annotations

import time

from dispatch.engine.worker import SolveOutcome
from dispatch.model import Plan, Snapshot
from dispatch.solver.improve import ImproveParams, solve
from dispatch.solver.params import ObjectiveParams

#: Never reached in practice; only a safety net (a solve takes milliseconds).
SAFETY_LIMIT_S = 120.0


class IterationSolver:
    """Solves in the calling thread with a fixed iteration budget: deterministic."""

    def __init__(
        self, objective: ObjectiveParams, iterations: int, seed: int = 0, max_remove: int = 8
    ) -> None:
        self.objective = objective
        self.improve = ImproveParams(
            use_ortools=False, max_iterations=iterations, max_remove=max_remove
        )
        self.seed = seed

    def solve(self, snapshot: Snapshot, warm_start: Plan, time_limit_s: float) -> SolveOutcome:
        """``time_limit_s`` (the live deadline) is ignored: the iterations bound the work."""
        started = time.perf_counter()
        result = solve(
            snapshot,
            self.objective,
            SAFETY_LIMIT_S,
            seed=self.seed,
            warm_start=warm_start,
            improve=self.improve,
        )
        return SolveOutcome(result.plan, time.perf_counter() - started)

    def close(self) -> None:
        return None
