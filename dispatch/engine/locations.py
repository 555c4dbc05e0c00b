"""The engine's table of locations: road nodes in use and their travel times.

The solver works on a dense matrix over the locations a snapshot needs. Building it
from scratch for every quote would cost milliseconds, so the table grows as new
nodes appear (one Dijkstra row each, cached by the road network) and is compacted
when most of its entries are no longer used.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt


class NodeTravelTimes(Protocol):
    """What the engine needs from the road network: one-to-many travel seconds and metres."""

    def one_to_many(
        self, source: int, targets: Sequence[int]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]: ...


class LocationTable:
    """Road node ↔ dense index, with travel seconds and metres between all entries."""

    def __init__(self, travel_times: NodeTravelTimes) -> None:
        self._tt = travel_times
        self._index: dict[int, int] = {}
        self._nodes: list[int] = []
        self._seconds: list[list[int]] = []
        self._sec_arr = np.zeros((64, 64), dtype=np.int64)
        self._met_arr = np.zeros((64, 64), dtype=np.int64)

    def __len__(self) -> int:
        return len(self._nodes)

    @property
    def nodes(self) -> list[int]:
        return self._nodes

    def index(self, node: int) -> int:
        """The dense index of ``node``, adding it (and its row and column) if new."""
        found = self._index.get(node)
        if found is not None:
            return found
        return self._add(node)

    def index_many(self, nodes: Sequence[int]) -> list[int]:
        """Dense indices of ``nodes``, adding the new ones together (one travel-time block
        each way instead of two per node: a quote brings a pickup and a drop-off)."""
        new = [n for n in dict.fromkeys(nodes) if n not in self._index]
        block = getattr(self._tt, "block", None)
        if len(new) < 2 or block is None or not self._nodes:
            return [self.index(n) for n in nodes]
        k = len(self._nodes)
        self._reserve(k + len(new))
        secs, metres = block(new, [*self._nodes, *new])
        self._sec_arr[k : k + len(new), : k + len(new)] = secs
        self._met_arr[k : k + len(new), : k + len(new)] = metres
        c_secs, c_metres = block(self._nodes, new)
        self._sec_arr[:k, k : k + len(new)] = c_secs
        self._met_arr[:k, k : k + len(new)] = c_metres
        for row, values in zip(self._seconds, np.asarray(c_secs).tolist(), strict=True):
            row.extend(values)
        for j, node in enumerate(new):
            self._seconds.append([int(x) for x in secs[j]])
            self._nodes.append(node)
            self._index[node] = k + j
        return [self._index[n] for n in nodes]

    def _add(self, node: int) -> int:
        k = len(self._nodes)
        self._reserve(k + 1)
        secs, metres = self._tt.one_to_many(node, [*self._nodes, node])
        self._sec_arr[k, : k + 1] = secs
        self._met_arr[k, : k + 1] = metres
        s_col, m_col = self._column(node)
        self._sec_arr[:k, k] = s_col
        self._met_arr[:k, k] = m_col
        for row, value in zip(self._seconds, s_col.tolist(), strict=True):
            row.append(value)
        self._seconds.append([int(x) for x in secs])
        self._nodes.append(node)
        self._index[node] = k
        return k

    def _column(self, node: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Seconds and metres from every known location to ``node``.

        A network that answers a whole block at once (``RoadNetwork.block``) is asked
        once; otherwise one row per location (fine for the small test grids).
        """
        if not self._nodes:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty.copy()
        block = getattr(self._tt, "block", None)
        if block is not None:
            secs, metres = block(self._nodes, [node])
            return np.asarray(secs)[:, 0], np.asarray(metres)[:, 0]
        pairs = [self._tt.one_to_many(src, [node]) for src in self._nodes]
        return (
            np.array([int(s[0]) for s, _ in pairs], dtype=np.int64),
            np.array([int(m[0]) for _, m in pairs], dtype=np.int64),
        )

    def _reserve(self, n: int) -> None:
        size = self._sec_arr.shape[0]
        if n <= size:
            return
        grown = max(n, 2 * size)
        for name in ("_sec_arr", "_met_arr"):
            old = getattr(self, name)
            new = np.zeros((grown, grown), dtype=np.int64)
            new[:size, :size] = old
            setattr(self, name, new)

    def seconds(self, a: int, b: int) -> int:
        return self._seconds[a][b]

    def travel_rows(self) -> list[list[int]]:
        """Rows of travel seconds (shared, treat as read-only)."""
        return self._seconds

    def matrices(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Read-only views of the seconds and metres matrices (entries never change)."""
        n = len(self._nodes)
        secs, metres = self._sec_arr[:n, :n], self._met_arr[:n, :n]
        secs.flags.writeable = False
        metres.flags.writeable = False
        return secs, metres

    def compact(self, keep: Iterable[int]) -> None:
        """Forget every node not in ``keep`` (indices change; callers re-resolve nodes)."""
        wanted = set(keep)
        keep_nodes = [n for n in self._nodes if n in wanted]
        old = np.array([self._index[n] for n in keep_nodes], dtype=np.int64)
        self._sec_arr = self._sec_arr[np.ix_(old, old)].copy()
        self._met_arr = self._met_arr[np.ix_(old, old)].copy()
        self._seconds = self._sec_arr.tolist()
        self._nodes = keep_nodes
        self._index = {n: k for k, n in enumerate(keep_nodes)}
