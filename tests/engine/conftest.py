"""A tiny synthetic road grid for engine tests: node = row * 10 + col, 60 s per block."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pytest

from dispatch.engine.engine import Engine
from dispatch.engine.events import VehicleAdded
from dispatch.engine.params import EngineParams

BLOCK_S = 60
BLOCK_M = 500
T0 = 1_800_000_000  # a fixed instant (epoch seconds)


class GridTravelTimes:
    def one_to_many(
        self, source: int, targets: Sequence[int]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        sr, sc = divmod(source, 10)
        blocks = np.array([abs(sr - t // 10) + abs(sc - t % 10) for t in targets], dtype=np.int64)
        return blocks * BLOCK_S, blocks * BLOCK_M


@pytest.fixture
def engine() -> Engine:
    eng = Engine(GridTravelTimes(), EngineParams(solver_time_limit_s=1.0))
    for k, depot in enumerate((0, 99)):
        eng.handle(
            VehicleAdded(
                f"bus{k + 1}",
                seats=4,
                wheelchair_places=1,
                depot_node=depot,
                shift_start=T0,
                shift_end=T0 + 12 * 3600,
            ),
            T0,
        )
    return eng
