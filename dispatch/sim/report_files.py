"""Writing the fleet report: its context from the scenario, the HTML, and a PDF of it.

The PDF is Chromium's own print of the HTML page (``chromium --headless --print-to-pdf``):
the very layout a council member would get from the browser's print button, with the
report's print CSS, offline, and no extra Python package. Where no Chromium is installed
the HTML report is still written, and the command says how to get the PDF.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from dispatch.roads.network import RoadNetwork
from dispatch.sim.fairness import centre_places
from dispatch.sim.report import Comparison, ReportContext, Rules
from dispatch.sim.scenario import Prepared, Scenario, service_days
from dispatch.sim.svg_map import RANK, MapPlace

log = logging.getLogger(__name__)

#: Where Chromium is looked for (``DISPATCH_CHROMIUM`` names another binary).
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PDF_TIMEOUT_S = 120


def build_context(
    scenario: Scenario,
    prepared: Prepared,
    target: float,
    language: str | None = None,
    comparisons: Sequence[Comparison] = (),
) -> ReportContext:
    """The report's context: service, region, days, rules and map of this sweep."""
    p = prepared.engine_params
    vehicle = prepared.fleet[0]
    network = prepared.network.network
    rules = Rules(
        seats=vehicle.seats,
        wheelchair_places=vehicle.wheelchair_places,
        max_wait_s=p.max_wait_s,
        ride_factor=p.ride_time.factor,
        ride_extra_s=p.ride_time.extra_s,
        reoptimise_every_s=p.reoptimise_period_s,
        solver_iterations=scenario.solver_iterations,
        seed=scenario.seed,
    )
    return ReportContext(
        title=prepared.config.name,
        demand_name=scenario.demand.name,
        requests=len(prepared.requests),
        target_served=target,
        tz=prepared.config.zone,
        roads=road_segments(network),
        rules=rules,
        language=language or prepared.config.language,
        region=main_places(network),
        days=service_days(prepared.requests, prepared.config),
        places=[MapPlace(q.name, q.lat, q.lon, q.kind, q.population or 0) for q in network.places],
        comparisons=tuple(comparisons),
        centre=sorted(centre_places(network.places)),
    )


def main_places(network: RoadNetwork, count: int = 3) -> list[str]:
    """The region's largest places by kind (towns before villages) and population."""
    ranked = sorted(
        network.places, key=lambda q: (RANK.get(q.kind, 2), -(q.population or 0), q.name)
    )
    return list(dict.fromkeys(q.name for q in ranked))[:count]


def road_segments(network: RoadNetwork) -> list[tuple[float, float, float, float]]:
    """Every road once (both directions drawn as one line)."""
    g = network.graph
    seen: set[tuple[int, int]] = set()
    out = []
    for a in range(g.n_nodes):
        for b in g.indices[g.indptr[a] : g.indptr[a + 1]].tolist():
            key = (min(a, b), max(a, b))
            if key not in seen:
                seen.add(key)
                out.append((float(g.lat[a]), float(g.lon[a]), float(g.lat[b]), float(g.lon[b])))
    return out


def find_chromium() -> str | None:
    named = os.environ.get("DISPATCH_CHROMIUM")
    if named:
        return shutil.which(named)
    return next((found for n in CHROMIUM_NAMES if (found := shutil.which(n))), None)


def write_pdf(html_file: Path, pdf_file: Path) -> str | None:
    """Print ``html_file`` to ``pdf_file`` with headless Chromium; None, or why not."""
    chromium = find_chromium()
    if chromium is None:
        return (
            "no Chromium found (install Debian's chromium, or set DISPATCH_CHROMIUM); "
            f"open {html_file} in a browser and print it to get a PDF"
        )
    with tempfile.TemporaryDirectory(prefix="rufbus-pdf-") as profile:
        command = [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", "--no-pdf-header-footer",
            f"--print-to-pdf={pdf_file.resolve()}", html_file.resolve().as_uri(),
        ]  # fmt: skip
        try:
            done = subprocess.run(command, capture_output=True, timeout=PDF_TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"Chromium could not print the report: {exc}"
    if done.returncode != 0 or not pdf_file.is_file() or pdf_file.stat().st_size == 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
        return f"Chromium could not print the report (exit {done.returncode}): {' '.join(tail)}"
    return None
