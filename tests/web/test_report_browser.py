"""The fleet report in Chromium: German, no axe violations, labels and legends that do not
overlap (measured by the browser), and a phone-sized view; screenshots are kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dispatch.sim.report import render_report
from tests.sim.test_report import RESULTS, _context
from tests.web.conftest import DESKTOP, PHONE, screenshot
from tests.web.test_accessibility import _axe_violations

BOXES_JS = """sel => [...document.querySelectorAll(sel)].map(e => {
    const r = e.getBoundingClientRect(); return {text: e.textContent, x: r.x, y: r.y, w: r.width, h: r.height}; })"""


def _overlapping(boxes: list[dict[str, Any]]) -> list[tuple[str, str]]:
    def hit(a: dict[str, Any], b: dict[str, Any]) -> bool:
        return bool(
            a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"]
            and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]
        )  # fmt: skip

    return [
        (a["text"], b["text"]) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if hit(a, b)
    ]


@pytest.mark.slow
def test_report_in_german_without_axe_violations(browser: Any, tmp_path: Path) -> None:
    report = tmp_path / "index.html"
    report.write_text(render_report(RESULTS, 4, _context("de")), encoding="utf-8")
    context = browser.new_context(viewport=DESKTOP, locale="de-DE")
    try:
        page = context.new_page()
        page.goto(report.as_uri())
        assert page.get_attribute("html", "lang") == "de"
        verdict = page.inner_text(".answer .verdict")
        assert verdict.startswith("Mit 4 Bussen werden 98")
        names = page.evaluate(BOXES_JS, "figure svg text[paint-order]")
        assert {"Neudrossenfeld", "Harsdorf"} <= {n["text"] for n in names}
        assert _overlapping(names) == [], "map names overlap"
        for chart in page.query_selector_all("figure > svg"):
            axes = chart.query_selector("path[d^='M60,']")
            if axes is None:
                continue  # the map
            top = axes.bounding_box()["y"]  # type: ignore[index]
            legend = [t.bounding_box() for t in chart.query_selector_all("text[text-anchor=start]")]
            legend = [b for b in legend if b is not None and b["y"] < top + 5]
            assert legend, "each chart has a legend above its plot"
            assert all(b["y"] + b["height"] <= top + 1 for b in legend), "a legend on the plot"
        problems = []
        for name, size in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(size)
            page.wait_for_timeout(200)
            screenshot(page, f"report-de-{name}")
            problems += [f"{name}: {p}" for p in _axe_violations(page)]
        assert problems == [], "\n".join(problems)
        page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
        page.emulate_media(media="print")
        screenshot(page, "report-de-print-a4")
        table = page.query_selector("table")
        assert table is not None and table.bounding_box()["width"] <= 794  # type: ignore[index]
    finally:
        context.close()


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["de", "ar"])
def test_report_with_fairness_by_group_without_axe_violations(
    browser: Any, tmp_path: Path, lang: str
) -> None:
    from tests.sim.test_report_fairness import WITH_GROUPS

    report = tmp_path / "index.html"
    html = render_report(WITH_GROUPS, 4, _context(lang, centre=("Neudrossenfeld",)))
    report.write_text(html, encoding="utf-8")
    context = browser.new_context(viewport=DESKTOP)
    try:
        page = context.new_page()
        page.goto(report.as_uri())
        assert page.locator("h3").count() == 2
        problems = []
        for name, size in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(size)
            page.wait_for_timeout(200)
            screenshot(page, f"report-fairness-{lang}-{name}")
            problems += [f"{name}: {p}" for p in _axe_violations(page)]
        assert problems == [], "\n".join(problems)
    finally:
        context.close()
