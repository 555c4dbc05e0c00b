"""The 10×10 test grid (60 s and 500 m per block) as the replay and the checker need it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from dispatch.sim.demand import Place
from dispatch.sim.trajectory import RoadArrays
from tests.engine.conftest import BLOCK_M, BLOCK_S, GridTravelTimes

T0 = 1_800_000_000


class GridNetwork(GridTravelTimes):
    """A place is given as lat=row, lon=col; paths go along the row first, then the column."""

    def path_steps(self, source: int, target: int) -> Sequence[tuple[int, int, int]]:
        r, c = divmod(source, 10)
        tr, tc = divmod(target, 10)
        out, k = [(source, 0, 0)], 0
        while (r, c) != (tr, tc):
            if r != tr:
                r += 1 if tr > r else -1
            else:
                c += 1 if tc > c else -1
            k += 1
            out.append((r * 10 + c, k * BLOCK_S, k * BLOCK_M))
        return out

    def resolve(self, place: Place) -> int:
        assert place.lat is not None and place.lon is not None
        return int(place.lat) * 10 + int(place.lon)

    def one_to_many(
        self, source: int, targets: Sequence[int]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        return super().one_to_many(source, list(targets))


def grid_roads() -> RoadArrays:
    """The grid as CSR arrays: every block is a two-way road of 60 s."""
    indptr, indices = [0], []
    for node in range(100):
        r, c = divmod(node, 10)
        for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            if 0 <= r + dr < 10 and 0 <= c + dc < 10:
                indices.append((r + dr) * 10 + c + dc)
        indptr.append(len(indices))
    travel = np.full(len(indices), BLOCK_S, dtype=np.int64)
    return RoadArrays(np.array(indptr, dtype=np.int64), np.array(indices, dtype=np.int64), travel)


def place(node: int) -> Place:
    return Place(lat=node // 10, lon=node % 10)
