"""The fleet report's fairness section: per fleet size and rider group, in every language,
and the same figures as CSV and text."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace

import pytest

from dispatch.opendata.trips import PublicTrip
from dispatch.roads.osm_file import NamedPoint
from dispatch.sim.commands import fleet_table
from dispatch.sim.fairness import centre_places, group_rows
from dispatch.sim.output import RunSummary
from dispatch.sim.report import render_report
from dispatch.sim.report_fairness import fairness_csv, fairness_text
from dispatch.sim.report_text import LANGUAGES, ReportWords
from tests.sim.test_report import RESULTS, _context

DAY = __import__("datetime").date(2026, 11, 25)


def _trip(origin: str, served: bool, wheelchair: bool = False, **extra: object) -> PublicTrip:
    wait = 300 if served else None
    return PublicTrip(DAY, 9, origin, "Harsdorf", served, wheelchair, False, False, wait, 600,
                      **extra)  # type: ignore[arg-type]  # fmt: skip


def _rows(wheelchair_served: int) -> list[dict[str, object]]:
    """4 wheelchair users (``wheelchair_served`` of them served), 6 others (5 served)."""
    trips = [_trip("Neudrossenfeld", k < wheelchair_served, True) for k in range(4)]
    trips += [_trip("Neudrossenfeld", True), _trip("Neudrossenfeld", True, late=True)]
    trips += [_trip("Ziegelhütte", k < 3) for k in range(4)]
    return group_rows(trips, centre=("Neudrossenfeld",))


WITH_GROUPS = {
    n: replace(run, fairness=_rows(min(4, n - 1))) for n, run in RESULTS.items()
}  # 2 → 1 of 4 wheelchair users served, 3 → 2, 4 → 3, 5 → 4


def test_centre_and_periphery_by_the_region_s_largest_place() -> None:
    places = [
        NamedPoint(1, "Neudrossenfeld", "village", 50.0, 11.5, 3959),
        NamedPoint(2, "Harsdorf", "village", 50.0, 11.6, 1085),
        NamedPoint(3, "Ziegelhütte", "hamlet", 50.0, 11.4),
    ]
    assert centre_places(places) == {"Neudrossenfeld"}
    town = NamedPoint(4, "Kulmbach", "town", 50.1, 11.4)
    assert centre_places([*places, town]) == {"Kulmbach"}
    assert centre_places([places[2]]) == frozenset()
    rows = _rows(1)
    area = {r["group"]: r for r in rows if r["group_kind"] == "area"}
    assert area["centre"]["requests"] == 6 and area["centre"]["served"] == 3
    assert area["periphery"]["requests"] == 4 and area["periphery"]["served_share"] == 0.75
    assert not [r for r in group_rows([_trip("X", True)]) if r["group_kind"] == "area"]


def test_the_section_answers_for_the_chosen_fleet_and_shows_every_size() -> None:
    html = render_report(WITH_GROUPS, 4, _context("en", centre=("Neudrossenfeld",)))
    section = html.split("Fairness: who is served how well")[1].split("Assumptions")[0]
    section = section.replace("&#x27;", "'")
    assert (
        "With 4 buses 75% of wheelchair users' ride requests are served "
        "(everyone else: 83.3%)." in section
    )
    assert "In the periphery 75% are served, in the centre 83.3%." in section
    assert "Centre: Neudrossenfeld" in section
    sizes = section.split("Served share by rider group and fleet size</caption>")[1]
    sizes = sizes.split("</table>")[0]
    body = re.findall(r"<tr[^>]*><th scope=\"row\">(\d+)</th>(.*?)</tr>", sizes)
    assert [n for n, _ in body] == ["2", "3", "4", "5"]
    assert [re.findall(r"<td>([^<]*)</td>", cells)[0] for _, cells in body] == [
        "25%", "50%", "75%", "100%",
    ]  # fmt: skip
    assert '<tr class="chosen"><th scope="row">4</th>' in sizes
    groups = section.split("Rider groups with 4 buses")[2].split("</table>")[0]
    wheelchair = re.search(r"wheelchair users</th>(.*?)</tr>", groups)
    assert wheelchair is not None
    assert re.findall(r"<td>([^<]*)</td>", wheelchair.group(1)) == [
        "4", "75%", "1", "5.0", "5.0", "0%",
    ]  # fmt: skip
    others = re.search(r"without wheelchair</th>(.*?)</tr>", groups)
    assert others is not None and "16.7%" not in others.group(1) and "20%" in others.group(1)
    villages = section.split("Villages with 4 buses")[2].split("</table>")[0]
    assert "Neudrossenfeld" in villages and "Ziegelhütte" in villages
    assert section.count("<polyline") == 4, "wheelchair users, others, centre, periphery"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_section_speaks_every_language(lang: str) -> None:
    w = ReportWords(lang)
    html = render_report(WITH_GROUPS, 4, _context(lang, centre=("Neudrossenfeld",)))
    assert w("h_fairness") in html and w("g_wheelchair") in html and w("g_periphery") in html
    section = html.split(w("h_fairness"))[1].split(w("h_scenario"))[0]
    assert "{" not in section.split("<svg")[0], "a placeholder was left unfilled"


def test_reports_without_group_figures_have_no_section() -> None:
    assert "Fairness" not in render_report(RESULTS, 4, _context("en"))


def test_csv_and_text_hold_every_fleet_size_and_group() -> None:
    rows = list(csv.DictReader(io.StringIO(fairness_csv(WITH_GROUPS))))
    per_size = {n: [r for r in rows if r["vehicles"] == str(n)] for n in WITH_GROUPS}
    assert all(len(v) == len(_rows(1)) for v in per_size.values())
    wheelchair = [
        (r["vehicles"], r["served_share"], r["rejected"])
        for r in rows
        if (r["group_kind"], r["group"]) == ("wheelchair", "wheelchair")
    ]
    assert wheelchair == [
        ("2", "0.25", "3"),
        ("3", "0.5", "2"),
        ("4", "0.75", "1"),
        ("5", "1.0", "0"),
    ]
    assert {"wait_median_min", "wait_p90_min", "late_share"} <= set(rows[0])
    text = fairness_text(WITH_GROUPS)
    assert text.count(" buses\n") == 4 and "area: periphery" in text
    table = fleet_table(WITH_GROUPS).splitlines()
    assert "wchair" in table[0] and table[3].split()[-1] == "75.0%"


def test_stored_runs_keep_their_group_figures() -> None:
    run = WITH_GROUPS[3]
    assert RunSummary.from_json(run.to_json()).fairness == run.fairness
    old = run.to_json().replace('"fairness"', '"fairness_was_not_there"')
    with pytest.raises(KeyError):  # a run stored before the figures is computed again
        RunSummary.from_json(old)
