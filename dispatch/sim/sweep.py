"""Fleet-size sweeps: independent replays, in local processes or on a Dask cluster.

Every finished run is stored at once as ``runs/<fingerprint>.json`` in the report
folder (written atomically). The fingerprint covers the demand file's content and
every setting of the run, so a sweep that was interrupted, or extended by more fleet
sizes, recomputes only what is missing — and a changed demand file or setting never
reuses a stale result.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing as mp
import re
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dispatch.errors import InputError
from dispatch.sim.output import RunSummary, output_folder, write_atomically
from dispatch.sim.scenario import Scenario, file_digest

log = logging.getLogger(__name__)

MAX_FLEET = 1000
_RANGE = re.compile(r"^\s*(\d+)\s*(?:\.\.\s*(\d+)\s*(?::\s*(\d+)\s*)?)?$")

#: Called with (fleet size, summary, finished, total) after each run.
OnRun = Callable[[int, RunSummary, int, int], None]


def parse_fleet_sizes(text: str) -> list[int]:
    """``2..12``, ``2..12:2`` (a step) or ``4,6,8``: the fleet sizes to try."""
    sizes: list[int] = []
    for part in text.split(","):
        match = _RANGE.match(part)
        if match is None:
            raise InputError(
                f"--vehicles: {part.strip()!r} is not a fleet size or range like 2..12 or 2..12:2"
            )
        low = int(match[1])
        high = int(match[2]) if match[2] else low
        step = int(match[3]) if match[3] else 1
        if high < low:
            raise InputError(f"--vehicles: the range {low}..{high} is empty (write {high}..{low})")
        if low < 1 or step < 1:
            raise InputError("--vehicles: fleet sizes and steps must be at least 1")
        if high > MAX_FLEET:
            raise InputError(f"--vehicles: at most {MAX_FLEET} vehicles")
        sizes += range(low, high + 1, step)
    return sorted(set(sizes))


@dataclass(frozen=True, slots=True)
class SweepRun:
    vehicles: int
    scenario: Scenario
    path: Path


def plan_runs(scenario: Scenario, sizes: Sequence[int], folder: Path) -> list[SweepRun]:
    digest = file_digest(scenario.demand)
    runs_dir = output_folder(folder / "runs")
    runs = []
    for n in sizes:
        s = scenario.with_vehicles(n)
        runs.append(SweepRun(n, s, runs_dir / f"fleet-{n:03d}-{s.fingerprint(digest)}.json"))
    return runs


def load_finished(run: SweepRun) -> RunSummary | None:
    """A stored result, or None if missing or unreadable (then it is computed again)."""
    try:
        return RunSummary.from_json(run.path.read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def run_one(scenario: Scenario) -> str:
    """One replay in a worker, with the insertion baseline on the same day when the
    scenario replays the dispatcher; returns the run summary as JSON (small, picklable).

    A replay that fails the trajectory check raises: it has no numbers to report.
    """
    from dispatch.sim.replay import Policy
    from dispatch.sim.run import require_valid, run_scenario, summary
    from dispatch.sim.scenario import prepare

    prepared = prepare(scenario)
    finished = run_scenario(scenario, prepared=prepared)
    require_valid(finished)
    baseline = None
    if finished.result.policy is Policy.DISPATCHER:
        baseline = run_scenario(scenario, policy=Policy.INSERTION, prepared=prepared)
        require_valid(baseline)
    return summary(finished, baseline).to_json()


def sweep(
    scenario: Scenario,
    sizes: Sequence[int],
    folder: Path,
    *,
    workers: int = 1,
    dask_address: str | None = None,
    on_run: OnRun | None = None,
) -> dict[int, RunSummary]:
    """Every fleet size's summary; finished runs are read back, the rest computed."""
    runs = plan_runs(scenario, sizes, folder)
    results: dict[int, RunSummary] = {}
    todo = []
    for run in runs:
        found = load_finished(run)
        if found is None:
            todo.append(run)
        else:
            results[run.vehicles] = found
    if todo:
        log.info("%d of %d runs to compute", len(todo), len(runs))
    executor = _dask_runs if dask_address is not None else _local_runs
    target = dask_address if dask_address is not None else workers
    for run, text in executor(todo, target):
        write_atomically(run.path, text)
        results[run.vehicles] = RunSummary.from_json(text)
        if on_run is not None:
            on_run(run.vehicles, results[run.vehicles], len(results), len(runs))
    return dict(sorted(results.items()))


def _local_runs(todo: Sequence[SweepRun], workers: Any) -> Iterator[tuple[SweepRun, str]]:
    if not todo:
        return
    if int(workers) <= 1 or len(todo) == 1:
        for run in todo:
            yield run, run_one(run.scenario)
        return
    context = mp.get_context("spawn")  # no fork of a process that may hold threads
    with ProcessPoolExecutor(min(int(workers), len(todo)), mp_context=context) as pool:
        futures: dict[Future[str], SweepRun] = {
            pool.submit(run_one, run.scenario): run for run in todo
        }
        try:
            for future in as_completed(futures):
                yield futures[future], future.result()
        finally:
            for future in futures:
                future.cancel()


def _dask_runs(todo: Sequence[SweepRun], address: Any) -> Iterator[tuple[SweepRun, str]]:
    """The same runs on a Dask cluster; its workers must see the same files (paths)."""
    if not todo:
        return
    try:
        distributed: Any = importlib.import_module("distributed")
    except ImportError:
        raise InputError("--dask needs Dask: pip install 'rufbus-dispatch[dask]'") from None
    try:
        client = distributed.Client(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise InputError(
            f"--dask: cannot connect to the Dask scheduler at {address}: {exc}"
        ) from None
    try:
        futures = {client.submit(run_one, run.scenario, pure=False): run for run in todo}
        for future in distributed.as_completed(list(futures)):
            yield futures[future], str(future.result())
    finally:
        client.close()


def smallest_meeting(results: dict[int, RunSummary], target_served: float) -> int | None:
    """The smallest fleet whose served share reaches the target, if any."""
    meeting = [n for n, r in results.items() if float(r.kpis["served_share"]) >= target_served]
    return min(meeting) if meeting else None
