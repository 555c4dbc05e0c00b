"""The fleet report for a council: its language, the answer first, units, legends, a PDF."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dispatch.sim.output import RunSummary
from dispatch.sim.report import Comparison, ReportContext, Rules, render_report
from dispatch.sim.report_files import write_pdf
from dispatch.sim.report_text import LANGUAGES, ReportWords
from dispatch.sim.svg import Series, line_chart
from dispatch.sim.svg_map import MapPlace, map_chart

ZONE = ZoneInfo("Europe/Berlin")
DAY_START = 1_795_597_200  # 2026-11-25 06:00 in Berlin
ROADS = [
    (50.00, 11.50, 50.00, 11.60),
    (50.00, 11.60, 50.05, 11.60),
    (50.05, 11.60, 50.05, 11.50),
    (50.05, 11.50, 50.00, 11.50),
]
PLACES = [
    MapPlace("Neudrossenfeld", 50.012, 11.503, "village", 3800),
    MapPlace("Neudrossenfeld Süd", 50.011, 11.504, "hamlet", 0),  # crowds the first
    MapPlace("Harsdorf", 50.034, 11.58, "village", 1000),
    MapPlace("Ziegelhütte", 50.03, 11.52, "hamlet", 0),
]


def _run(n: int, share: float, wait: float) -> RunSummary:
    kpis = {
        "served_share": share, "rejected": round((1 - share) * 150), "wait_mean_min": wait,
        "wait_p95_min": wait * 2.5, "ride_mean_min": 12.0, "detour_mean": 1.4,
        "vehicle_km": 300.0 * n, "empty_km": 90.0 * n, "occupancy": 1.3, "pooling_rate": 0.6,
        "passengers_per_vehicle_hour": 2.5,
    }  # fmt: skip
    occupancy = [(DAY_START + 900 * k, float((k * n) % 7)) for k in range(60)]
    rejected = [(50.01, 11.51, 50.04, 11.59)] if share < 1 else []
    return RunSummary(n, kpis, occupancy, rejected)


RESULTS = {
    2: _run(2, 0.72, 4.8),
    3: _run(3, 0.893, 5.2),
    4: _run(4, 0.98, 5.1),
    5: _run(5, 1.0, 4.8),
}


def _context(language: str, **extra: object) -> ReportContext:
    rules = Rules(8, 1, 900, 1.5, 600, 900, 20, 0)
    return ReportContext(
        title="Rufbus Bayreuth Land Nord", demand_name="day.csv", requests=150,
        target_served=0.95, tz=ZONE, roads=ROADS, rules=rules, language=language,
        region=("Neudrossenfeld", "Harsdorf"), days=[__import__("datetime").date(2026, 11, 25)],
        places=PLACES, **extra,  # type: ignore[arg-type]
    )  # fmt: skip


def test_the_answer_comes_first_in_one_sentence_in_german() -> None:
    html = render_report(RESULTS, 4, _context("de")).replace("\xa0", " ")  # Babel: "95 %"
    assert '<html lang="de" dir="ltr">' in html
    main = html.split("<main>")[1]
    first_paragraphs = re.findall(r"<p[^>]*>(.*?)</p>", main)[:2]
    assert "Mit wie vielen Bussen werden mindestens 95 %" in first_paragraphs[0]
    assert "Mit 4 Bussen werden 98 % der Fahrtwünsche bedient." in first_paragraphs[1]
    assert "Jeder weitere Bus bringt 2,0 Prozentpunkte mehr (5 Busse: 100 %)" in html
    assert "Rufbus Bayreuth Land Nord" in html and "Neudrossenfeld, Harsdorf" in html
    assert "25. November 2026" in html
    assert "1,5 × direkte Fahrzeit + 10 Minuten" in html, "the ride-time rule in minutes"
    assert "alle 15 Minuten" in html and "600 s" not in html and " s," not in html
    assert "OpenStreetMap" in html


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_report_speaks_every_language(lang: str) -> None:
    w = ReportWords(lang)
    html = render_report(RESULTS, 4, _context(lang))
    assert f'<html lang="{lang}" dir="{"rtl" if lang == "ar" else "ltr"}">' in html
    assert w("answer", n=4, share=w.share(0.98)) in html
    assert "{" not in html.split("<main>")[1].split("<svg")[0], "a placeholder was left unfilled"


def test_no_fleet_meets_the_target() -> None:
    html = render_report({2: RESULTS[2], 3: RESULTS[3]}, None, _context("en"))
    assert "None of the fleet sizes tried (2–3) serves 95%" in html
    assert "3 buses serve 89.3%" in html


def test_another_policy_adds_lines_and_columns() -> None:
    baseline = {
        n: _run(n, share - 0.1, 7.5) for n, share in ((2, 0.72), (3, 0.893), (4, 0.98), (5, 1.0))
    }
    html = render_report(
        RESULTS, 4, _context("en", comparisons=(Comparison("insertion", baseline),))
    )
    assert "served: insertion only (no re-planning)" in html
    assert "wait (min): insertion only (no re-planning)" in html
    assert html.count("<polyline") == 3 + 3 + 3  # served ×2 + target, wait ×3, occupancy ×3


def test_legends_stand_above_the_plot() -> None:
    labels = [f"a rather long legend label number {k}" for k in range(6)]
    svg = line_chart(
        [Series(label, [(0, k), (10, k + 1)]) for k, label in enumerate(labels)],
        x_label="x", y_label="y",
    )  # fmt: skip
    axes_top = float(re.search(r'<path d="M60,([\d.]+) V', svg).group(1))  # type: ignore[union-attr]
    legend_ys = [
        float(y)
        for y in re.findall(r'<text x="[\d.]+" y="([\d.]+)" text-anchor="start">a rather', svg)
    ]
    assert len(legend_ys) == 6 and max(legend_ys) < axes_top, "every legend entry above the plot"
    lowest_point = min(float(y) for y in re.findall(r'<circle cx="[\d.]+" cy="([\d.]+)"', svg))
    assert lowest_point >= axes_top


def test_map_names_places_has_a_scale_bar_and_leaves_out_what_does_not_fit() -> None:
    svg = map_chart(ROADS, [(50.01, 11.51, 50.04, 11.59)], places=PLACES, title="Rejected")
    names = re.findall(r'paint-order="stroke">([^<]+)</text>', svg)
    assert "Neudrossenfeld" in names and "Harsdorf" in names
    assert re.search(r">\d+ (km|m)</text>", svg), "a scale bar"


def test_pdf_is_printed_by_chromium_or_the_reason_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    html = tmp_path / "index.html"
    html.write_text(render_report(RESULTS, 4, _context("de")), encoding="utf-8")
    monkeypatch.setenv("DISPATCH_CHROMIUM", "no-such-browser")
    reason = write_pdf(html, tmp_path / "report.pdf")
    assert reason is not None and "no Chromium found" in reason and str(html) in reason
    assert not (tmp_path / "report.pdf").exists()
    if shutil.which("chromium") is None:
        pytest.skip("no Chromium to print with")
    monkeypatch.setenv("DISPATCH_CHROMIUM", "chromium")
    assert write_pdf(html, tmp_path / "report.pdf") is None
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")
