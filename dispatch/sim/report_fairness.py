"""The fleet report's fairness section: who is served how well, per fleet size.

Each replay's figures by rider group (``RunSummary.fairness``: wheelchair users and
others, hotline and app, standing orders and single bookings, centre and periphery, each
village) become one sentence for the chosen fleet, a chart and a table of served shares
per fleet size, and tables of requests, served, rejections, wait and lateness against the
promise for the chosen fleet. ``fairness_csv`` and ``fairness_text`` hold every figure of
every fleet size for those who want to compute further.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from html import escape
from typing import Any

from dispatch.opendata.aggregate import FAIRNESS_FIGURES
from dispatch.sim.output import RunSummary
from dispatch.sim.report_text import ReportWords
from dispatch.sim.svg import Series, line_chart

Row = dict[str, Any]

#: (kind, group, word) of the groups compared side by side, in the order a planner reads them.
PAIRS = (
    ("wheelchair", "wheelchair", "g_wheelchair"),
    ("wheelchair", "no wheelchair", "g_no_wheelchair"),
    ("channel", "phone", "g_phone"),
    ("channel", "app", "g_app"),
    ("standing_order", "standing order", "g_standing_order"),
    ("standing_order", "single booking", "g_single_booking"),
    ("area", "centre", "g_centre"),
    ("area", "periphery", "g_periphery"),
)
#: The groups drawn in the chart (the others are in the table).
CHARTED = ("g_wheelchair", "g_no_wheelchair", "g_centre", "g_periphery")
#: (word, figure, style) of the detail tables: a count, a share or minutes.
DETAIL = (
    ("f_requests", "requests", "count"),
    ("c_served", "served_share", "share"),
    ("c_rejected", "rejected", "count"),
    ("f_wait_median", "wait_median_min", "minutes"),
    ("f_wait_p90", "wait_p90_min", "minutes"),
    ("f_late", "late_share", "share"),
)


def fairness_section(
    w: ReportWords, results: dict[int, RunSummary], chosen: int | None, centre: Sequence[str]
) -> str:
    """The section's HTML; empty when no run has figures by group."""
    if not any(r.fairness for r in results.values()):
        return ""
    n = chosen if chosen is not None else max(results)
    rows = results[n].fairness
    parts = [
        f"<h2>{escape(w('h_fairness'))}</h2>",
        f"<p>{escape(_sentence(w, n, rows))}</p>",
        _chart(w, results),
        _sizes_table(w, results, chosen),
        f"<h3>{escape(w('h_fairness_groups', n=n))}</h3>",
        _detail(
            w,
            [(w(word), _find(rows, kind, group)) for kind, group, word in PAIRS],
            w("h_fairness_groups", n=n),
        ),
        f"<h3>{escape(w('h_fairness_villages', n=n))}</h3>",
        _detail(
            w,
            [(r["group"], r) for r in rows if r["group_kind"] == "village"],
            w("h_fairness_villages", n=n),
        ),
    ]
    if centre:
        parts.append(f'<p class="method">{escape(w("fair_centre", places=w.places(centre)))}</p>')
    parts.append(f'<p class="method">{escape(w("fair_method"))}</p>')
    return "\n".join(parts)


def _find(rows: Sequence[Row], kind: str, group: str) -> Row | None:
    return next((r for r in rows if r["group_kind"] == kind and r["group"] == group), None)


def _share(w: ReportWords, row: Row | None) -> str:
    if row is None or row["served_share"] is None:
        return "–"
    return w.share(float(row["served_share"]))


def _sentence(w: ReportWords, n: int, rows: Sequence[Row]) -> str:
    """The answer for the chosen fleet, wheelchair users and the periphery first."""
    text = w(
        "fair_answer",
        n=n,
        wheelchair=_share(w, _find(rows, "wheelchair", "wheelchair")),
        others=_share(w, _find(rows, "wheelchair", "no wheelchair")),
    )
    periphery, centre = _find(rows, "area", "periphery"), _find(rows, "area", "centre")
    if periphery is not None or centre is not None:
        text += " " + w(
            "fair_answer_area", periphery=_share(w, periphery), centre=_share(w, centre)
        )
    return text


def _chart(w: ReportWords, results: dict[int, RunSummary]) -> str:
    series = []
    for kind, group, word in PAIRS:
        if word not in CHARTED:
            continue
        points = [
            (float(n), float(hit["served_share"]) * 100)
            for n, run in sorted(results.items())
            if (hit := _find(run.fairness, kind, group)) and hit["served_share"] is not None
        ]
        if points:
            series.append(Series(w(word), points, dashed=kind == "area"))
    if not series:
        return ""
    chart = line_chart(
        series, x_label=w("chart_buses"), y_label=w("chart_served_y"), y_min=0, y_max=100,
        x_ticks=[float(n) for n in sorted(results)], title=w("chart_fairness"),
    )  # fmt: skip
    return f"<figure>{chart}<figcaption>{escape(w('caption_fairness'))}</figcaption></figure>"


def _sizes_table(w: ReportWords, results: dict[int, RunSummary], chosen: int | None) -> str:
    """Served share of each group (and its requests) per fleet size."""
    shown = [
        (kind, group, word)
        for kind, group, word in PAIRS
        if any(_find(r.fairness, kind, group) for r in results.values())
    ]
    head = "".join(f'<th scope="col">{escape(w(word))}</th>' for _, _, word in shown)
    body = []
    for n, run in sorted(results.items()):
        cells = "".join(
            f"<td>{_share(w, _find(run.fairness, kind, group))}</td>" for kind, group, _ in shown
        )
        cls = ' class="chosen"' if n == chosen else ""
        body.append(f'<tr{cls}><th scope="row">{n}</th>{cells}</tr>')
    caption = escape(w("h_fairness_sizes"))
    return (
        f'<div class="table-wrap" tabindex="0" role="region" aria-label="{caption}"><table>'
        f'<caption class="sub">{caption}</caption><thead><tr><th scope="col">{escape(w("c_buses"))}</th>'
        f"{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _detail(w: ReportWords, rows: Sequence[tuple[str, Row | None]], label: str) -> str:
    present = [(name, row) for name, row in rows if row is not None]
    if not present:
        return f"<p>{escape(w('fair_none'))}</p>"
    head = f'<th scope="col">{escape(w("f_group"))}</th>' + "".join(
        f'<th scope="col">{escape(w(word))}</th>' for word, _, _ in DETAIL
    )
    body = "".join(
        f'<tr><th scope="row">{escape(name)}</th>'
        + "".join(f"<td>{_cell(w, row[key], style)}</td>" for _, key, style in DETAIL)
        + "</tr>"
        for name, row in present
    )
    return (
        f'<div class="table-wrap" tabindex="0" role="region" aria-label="{escape(label)}">'
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def _cell(w: ReportWords, value: Any, style: str) -> str:
    if value is None:
        return "–"
    if style == "share":
        return w.share(float(value))
    if style == "minutes":
        return w.number(float(value), 1)
    return w.number(float(value))


FAIRNESS_COLUMNS = ("vehicles", "policy", "group_kind", "group", *FAIRNESS_FIGURES)


def fairness_csv(results: dict[int, RunSummary]) -> str:
    """One row per fleet size and rider group (the dispatcher's replays)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FAIRNESS_COLUMNS)
    for n, run in sorted(results.items()):
        for r in run.fairness:
            writer.writerow([n, run.policy, *(r[c] for c in FAIRNESS_COLUMNS[2:])])
    return out.getvalue()


def fairness_text(results: dict[int, RunSummary]) -> str:
    """The same as readable tables, one per fleet size."""
    from dispatch.sim.fairness import fairness_text as table

    return "\n\n".join(
        f"{n} buses\n{table(run.fairness)}" for n, run in sorted(results.items()) if run.fairness
    )
