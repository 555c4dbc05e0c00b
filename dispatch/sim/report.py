"""The fleet-sizing report: one self-contained HTML file (inline SVG, no scripts, no CDN).

Only results of the replays go into it — no wall-clock times, no date of writing —
so the same sweep always gives the same file, also after an interruption and resume.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from html import escape

from dispatch.sim.output import RunSummary
from dispatch.sim.svg import Series, line_chart, map_chart

COLUMNS = (
    ("buses", None, "{:d}"),
    ("served", "served_share", "{:.1%}"),
    ("rejected", "rejected", "{:d}"),
    ("wait mean (min)", "wait_mean_min", "{:.1f}"),
    ("wait p95 (min)", "wait_p95_min", "{:.1f}"),
    ("ride mean (min)", "ride_mean_min", "{:.1f}"),
    ("detour mean", "detour_mean", "{:.2f}"),
    ("vehicle-km", "vehicle_km", "{:.0f}"),
    ("empty km", "empty_km", "{:.0f}"),
    ("occupancy", "occupancy", "{:.2f}"),
    ("pooling", "pooling_rate", "{:.0%}"),
    ("passengers / vehicle-h", "passengers_per_vehicle_hour", "{:.2f}"),
)

STYLE = """
body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;font-size:.9rem}td,th{padding:.25rem .6rem;text-align:right}
th{border-bottom:2px solid #333}tr:nth-child(even){background:#f4f4f4}
tr.chosen{background:#e3f0d8;font-weight:bold}figure{margin:1.5rem 0}
figcaption{font-size:.9rem;color:#555}.answer{font-size:1.2rem;padding:.6rem 1rem;
background:#e3f0d8;border-left:4px solid #2ca02c}.none{background:#fbe3e3;border-color:#d62728}
"""


@dataclass(frozen=True, slots=True)
class ReportContext:
    """What the report says about the sweep besides the results."""

    title: str
    demand_name: str
    requests: int
    target_served: float
    settings: Sequence[tuple[str, str]]
    tz: tzinfo
    roads: Sequence[tuple[float, float, float, float]]


def render_report(results: dict[int, RunSummary], chosen: int | None, ctx: ReportContext) -> str:
    sizes = sorted(results)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(ctx.title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(ctx.title)}</h1>",
        _answer(results, chosen, ctx.target_served),
        _settings(ctx),
        "<h2>Results per fleet size</h2>",
        _table(results, chosen),
        _figure(
            _served_chart(results, ctx.target_served),
            "Share of requests served by fleet size; dashed: the target.",
        ),
        _figure(_wait_chart(results), "Wait (actual pickup − requested time) by fleet size."),
        _occupancy(results, chosen, sizes, ctx.tz),
        _rejections(results, chosen, sizes, ctx.roads),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _answer(results: dict[int, RunSummary], chosen: int | None, target: float) -> str:
    if chosen is None:
        best = max(results, default=0)
        return (
            f'<p class="answer none">None of the fleet sizes tried ({_span(results)}) serves '
            f"{target:.0%} of the requests; the largest, {best} buses, serves "
            f"{_share(results, best)}. Try larger fleets.</p>"
        )
    return (
        f'<p class="answer">The smallest fleet that serves at least {target:.0%} of the '
        f"requests: <strong>{chosen} buses</strong> ({_share(results, chosen)} served).</p>"
    )


def _share(results: dict[int, RunSummary], n: int) -> str:
    if n not in results:
        return "nothing"
    return f"{float(results[n].kpis['served_share']):.1%}"


def _span(results: dict[int, RunSummary]) -> str:
    sizes = sorted(results)
    return f"{sizes[0]}–{sizes[-1]}" if sizes else "none"


def _settings(ctx: ReportContext) -> str:
    rows = [("demand", f"{ctx.demand_name} ({ctx.requests} requests)"), *ctx.settings]
    body = "".join(f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in rows)
    return f'<h2>Scenario</h2><table class="settings">{body}</table>'


def _table(results: dict[int, RunSummary], chosen: int | None) -> str:
    head = "".join(f"<th>{escape(label)}</th>" for label, _, _ in COLUMNS)
    rows = []
    for n, run in sorted(results.items()):
        cells = []
        for _, key, fmt in COLUMNS:
            value = n if key is None else run.kpis[key]
            cells.append(f"<td>{fmt.format(value)}</td>")
        cls = ' class="chosen"' if n == chosen else ""
        rows.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{escape(caption)}</figcaption></figure>"


def _served_chart(results: dict[int, RunSummary], target: float) -> str:
    points = [(float(n), float(r.kpis["served_share"]) * 100) for n, r in results.items()]
    xs = [p[0] for p in points]
    series = [Series("served", points)]
    if xs:
        series.append(
            Series(
                f"target {target:.0%}",
                [(min(xs), target * 100), (max(xs), target * 100)],
                dashed=True,
            )
        )
    return line_chart(
        series,
        x_label="buses",
        y_label="served (%)",
        y_min=0,
        y_max=100,
        x_ticks=xs,
        title="Served share by fleet size",
    )


def _wait_chart(results: dict[int, RunSummary]) -> str:
    mean = [(float(n), float(r.kpis["wait_mean_min"])) for n, r in results.items()]
    p95 = [(float(n), float(r.kpis["wait_p95_min"])) for n, r in results.items()]
    return line_chart(
        [Series("mean", mean), Series("95th percentile", p95)],
        x_label="buses",
        y_label="wait (min)",
        x_ticks=[p[0] for p in mean],
        y_min=0,
        title="Wait by fleet size",
    )


def _shown_sizes(chosen: int | None, sizes: Sequence[int]) -> list[int]:
    """The chosen fleet and its neighbours (or the smallest and largest)."""
    if not sizes:
        return []
    if chosen is None:
        return sorted({sizes[0], sizes[-1]})
    k = sizes.index(chosen)
    return [sizes[j] for j in range(max(0, k - 1), min(len(sizes), k + 2))]


def _occupancy(
    results: dict[int, RunSummary], chosen: int | None, sizes: Sequence[int], tz: tzinfo
) -> str:
    series = [
        Series(f"{n} buses", [(float(t), x) for t, x in results[n].occupancy])
        for n in _shown_sizes(chosen, sizes)
    ]

    def clock(t: float) -> str:
        return datetime.fromtimestamp(t, tz).strftime("%H:%M")

    chart = line_chart(
        series,
        x_label="time of day",
        y_label="riders on board (all buses)",
        x_format=clock,
        x_ticks=_hours(series, tz),
        y_min=0,
        title="Occupancy over the day",
    )
    return "<h2>Occupancy over the day</h2>" + _figure(
        chart, "Riders on board, summed over the fleet, averaged per 15 minutes."
    )


def _hours(series: Sequence[Series], tz: tzinfo) -> list[float]:
    """Every second full hour of local time within the plotted span."""
    xs = [x for s in series for x, _ in s.points]
    if not xs:
        return []
    first = datetime.fromtimestamp(min(xs), tz).replace(minute=0, second=0)
    start = int(first.timestamp())
    return [float(t) for t in range(start, int(max(xs)) + 1, 7200) if t >= min(xs)]


def _rejections(
    results: dict[int, RunSummary],
    chosen: int | None,
    sizes: Sequence[int],
    roads: Sequence[tuple[float, float, float, float]],
) -> str:
    """The rejected requests of the chosen fleet — or of the largest fleet short of it."""
    candidates = [n for n in sizes if chosen is None or n <= chosen]
    shown = next((n for n in reversed(candidates) if results[n].rejected), None)
    if shown is None:
        return "<h2>Rejected requests</h2><p>No request was rejected.</p>"
    trips = results[shown].rejected
    chart = map_chart(roads, trips, title=f"Rejected requests with {shown} buses")
    return f"<h2>Rejected requests with {shown} buses</h2>" + _figure(
        chart,
        f"{len(trips)} rejected requests: red dot at the origin, line to the destination, "
        "on the road network the buses use.",
    )
