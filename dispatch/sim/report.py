"""The fleet-sizing report: one self-contained HTML file (inline SVG, no scripts, no CDN),
written to be shown to a council: the question and the answer first, in one sentence, in
the service's language; then the key figures, the charts, the table and the assumptions.
It prints on A4 (print CSS), and ``size-fleet --pdf`` prints it to a PDF.

Only results of the replays go into it — no wall-clock times, no date of writing —
so the same sweep always gives the same file, also after an interruption and resume.

Other dispatching policies replayed on the same demand (e.g. a baseline) come as
``ReportContext.comparisons``: each adds a line to the served and wait charts and two
columns to the table, next to the service's own dispatcher.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from html import escape

from dispatch.sim.output import RunSummary
from dispatch.sim.report_fairness import fairness_section
from dispatch.sim.report_text import ReportWords
from dispatch.sim.svg import Series, line_chart
from dispatch.sim.svg_map import MapPlace, map_chart

#: (word, KPI field, decimals or "share") — the table, in the order a planner reads it.
COLUMNS = (
    ("c_served", "served_share", "share"),
    ("c_rejected", "rejected", 0),
    ("c_wait", "wait_mean_min", 1),
    ("c_wait_p95", "wait_p95_min", 1),
    ("c_ride", "ride_mean_min", 1),
    ("c_detour", "detour_mean", 2),
    ("c_km", "vehicle_km", 0),
    ("c_empty", "empty_km", 0),
    ("c_occupancy", "occupancy", 2),
    ("c_pooling", "pooling_rate", "share"),
    ("c_pvh", "passengers_per_vehicle_hour", 2),
)
#: Columns left out of the printed page (A4 is narrow); the screen and the CSV have them.
MINOR = ("c_detour", "c_empty", "c_occupancy", "c_pooling")
#: The key figures shown first, for the chosen fleet.
KEY_FIGURES = ("c_served", "c_wait", "c_wait_p95", "c_ride", "c_km", "c_pvh")

STYLE = """
body{font-family:system-ui,"Segoe UI",Roboto,"Noto Sans","Noto Sans Arabic",Arial,sans-serif;
max-width:62rem;margin:1.5rem auto;padding:0 1rem;color:#1a1a1a;line-height:1.45}
h1{font-size:1.7rem;margin:0 0 .3rem}h2{font-size:1.25rem;margin:2rem 0 .6rem}h3{font-size:1.05rem;margin:1.4rem 0 .5rem}
.sub{margin:.1rem 0;color:#3d3d3d}.answer{margin:1.2rem 0;padding:.8rem 1.1rem;background:#e3f0d8;
border-inline-start:.4rem solid #2a7a2a;border-radius:.3rem}.answer.none{background:#fbe3e3;
border-color:#b3261e}.question{margin:0 0 .4rem;font-weight:600}.verdict{margin:0;font-size:1.25rem}
.method{font-size:.9rem;color:#3d3d3d}dl.key{display:grid;grid-template-columns:repeat(auto-fit,
minmax(9.5rem,1fr));gap:.6rem;margin:0}dl.key div{border:1px solid #8a8f98;border-radius:.4rem;
padding:.5rem .7rem}dl.key dt{font-size:.85rem;color:#3d3d3d}dl.key dd{margin:0;font-size:1.35rem;
font-weight:700}table{border-collapse:collapse;font-size:.9rem;width:100%}td,th{padding:.3rem .5rem;
text-align:end;vertical-align:bottom}td:first-child,th:first-child{text-align:start}
thead th{border-bottom:2px solid #333}tbody tr:nth-child(even){background:#f2f2f2}
tr.chosen{background:#dcebd0 !important;font-weight:700}table.rules td,table.rules th{text-align:start;
vertical-align:top}table.rules th{font-weight:600;padding-inline-end:1.5rem}figure{margin:1.2rem 0}
figure>svg{width:100%;height:auto;max-width:44rem;display:block}.table-wrap{overflow-x:auto}figcaption{font-size:.9rem;color:#3d3d3d}
ul.legend{list-style:none;padding:0;margin:.4rem 0;display:flex;flex-wrap:wrap;gap:.3rem 1.4rem;
font-size:.9rem}ul.legend svg{vertical-align:middle;margin-inline-end:.35rem}
footer{margin:2.5rem 0 1rem;font-size:.85rem;color:#3d3d3d}
@page{size:A4;margin:14mm}
@media print{body{max-width:none;margin:0;padding:0;font-size:10pt}h2{break-after:avoid}
figure,table,.answer,dl.key,ul.legend{break-inside:avoid}figure>svg{max-width:100%}
table{font-size:8pt}.table-wrap{overflow:visible}th,td{padding:.2rem .25rem}
thead th{font-size:7.5pt}.minor{display:none}tbody tr:nth-child(even),tr.chosen,.answer{print-color-adjust:exact;
-webkit-print-color-adjust:exact}}
"""


@dataclass(frozen=True, slots=True)
class Rules:
    """The scenario's rules, as the report states them."""

    seats: int
    wheelchair_places: int
    max_wait_s: int
    ride_factor: float
    ride_extra_s: int
    reoptimise_every_s: int
    solver_iterations: int
    seed: int


@dataclass(frozen=True, slots=True)
class Comparison:
    """Another policy's results per fleet size; ``policy`` names its word (``policy_<name>``)."""

    policy: str
    results: dict[int, RunSummary]


@dataclass(frozen=True, slots=True)
class ReportContext:
    """What the report says about the sweep besides the results."""

    title: str
    demand_name: str
    requests: int
    target_served: float
    tz: tzinfo
    roads: Sequence[tuple[float, float, float, float]]
    rules: Rules
    language: str = "de"
    region: Sequence[str] = ()
    days: Sequence[date] = ()
    places: Sequence[MapPlace] = ()
    comparisons: Sequence[Comparison] = field(default_factory=tuple)
    #: The region's centre (towns, else its largest place); every other village is periphery.
    centre: Sequence[str] = ()


def render_report(results: dict[int, RunSummary], chosen: int | None, ctx: ReportContext) -> str:
    w = ReportWords(ctx.language)
    sizes = sorted(results)
    title = w("title", service=ctx.title)
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{w.lang}" dir="{w.direction}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
        _header(w, title, ctx),
        "<main>",
        _answer(w, results, chosen, ctx),
        _key_figures(w, results, chosen),
        _figure(_served_chart(w, results, ctx), w("caption_served")),
        _figure(_wait_chart(w, results, ctx), w("caption_wait")),
        f"<h2>{escape(w('h_table'))}</h2>",
        _table(w, results, chosen, ctx.comparisons),
        _occupancy(w, results, chosen, sizes, ctx.tz),
        _rejections(w, results, chosen, sizes, ctx),
        fairness_section(w, results, chosen, ctx.centre),
        _assumptions(w, ctx),
        "</main>",
        f"<footer><p>{escape(w('footer'))}</p></footer>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _header(w: ReportWords, title: str, ctx: ReportContext) -> str:
    lines = [f"<h1>{escape(title)}</h1>"]
    if ctx.region:
        lines.append(f'<p class="sub">{escape(w("region", places=w.places(ctx.region)))}</p>')
    key = "demand_line" if len(set(ctx.days)) <= 1 else "demand_line_days"
    demand = w(key, requests=w.number(ctx.requests), dates=w.dates(ctx.days))
    lines.append(f'<p class="sub">{escape(demand)}</p>')
    return "<header>" + "".join(lines) + "</header>"


def _share(results: dict[int, RunSummary], n: int) -> float:
    return float(results[n].kpis["served_share"])


def _answer(
    w: ReportWords, results: dict[int, RunSummary], chosen: int | None, ctx: ReportContext
) -> str:
    """The question and the answer in one sentence (plus what one more bus would bring)."""
    target = w.share(ctx.target_served)
    question = f'<p class="question">{escape(w("question", target=target))}</p>'
    sizes = sorted(results)
    if chosen is None:
        best = sizes[-1] if sizes else 0
        span = f"{sizes[0]}–{sizes[-1]}" if sizes else "–"
        text = w(
            "answer_none",
            sizes=span,
            target=target,
            n=best,
            share=w.share(_share(results, best)) if sizes else "–",
        )
        return f'<section class="answer none">{question}<p class="verdict">{escape(text)}</p></section>'
    k = _key(results[chosen])
    verdict = [
        f"<strong>{escape(w('answer', n=chosen, share=w.share(_share(results, chosen))))}</strong>"
    ]
    larger = [n for n in sizes if n > chosen]
    if larger:
        following = larger[0]
        points = (_share(results, following) - _share(results, chosen)) * 100 / (following - chosen)
        verdict.append(
            escape(
                w(
                    "answer_next",
                    points=w.number(points, 1),
                    n_next=following,
                    share_next=w.share(_share(results, following)),
                )
            )
        )
    else:
        verdict.append(escape(w("answer_largest")))
    wait = w(
        "answer_wait",
        wait=w.number(k["wait_mean_min"], 0),
        p95=w.number(k["wait_p95_min"], 0),
        km=w.number(k["vehicle_km"]),
    )
    return (
        f'<section class="answer">{question}<p class="verdict">{" ".join(verdict)} {escape(wait)}</p>'
        f'<p class="method">{escape(w("method"))}</p></section>'
    )


def _key(run: RunSummary) -> dict[str, float]:
    return {k: float(v) for k, v in run.kpis.items()}


def _format(w: ReportWords, value: float, style: int | str) -> str:
    return w.share(value) if style == "share" else w.number(value, int(style))


def _key_figures(w: ReportWords, results: dict[int, RunSummary], chosen: int | None) -> str:
    n = chosen if chosen is not None else max(results, default=None)
    if n is None:
        return ""
    styles = {word: (key, style) for word, key, style in COLUMNS}
    cards = "".join(
        f"<div><dt>{escape(w(word))}</dt><dd>{_format(w, float(results[n].kpis[styles[word][0]]), styles[word][1])}</dd></div>"
        for word in KEY_FIGURES
    )
    return f'<h2>{escape(w("h_key", n=n))}</h2><dl class="key">{cards}</dl>'


def _table(
    w: ReportWords,
    results: dict[int, RunSummary],
    chosen: int | None,
    comparisons: Sequence[Comparison],
) -> str:
    head = [(w("c_buses"), ""), *((w(word), _minor(word)) for word, _, _ in COLUMNS)]
    for c in comparisons:
        policy = w(f"policy_{c.policy}")
        head += [(w("served_by", policy=policy), ""), (w("wait_by", policy=policy), "")]
    rows = []
    for n, run in sorted(results.items()):
        cells = [f"<td>{n}</td>"]
        cells += [
            f"<td{_minor(word)}>{_format(w, float(run.kpis[key]), style)}</td>"
            for word, key, style in COLUMNS
        ]
        for c in comparisons:
            other = c.results.get(n)
            cells.append(f"<td>{w.share(float(other.kpis['served_share'])) if other else '–'}</td>")
            cells.append(
                f"<td>{w.number(float(other.kpis['wait_mean_min']), 1) if other else '–'}</td>"
            )
        cls = ' class="chosen"' if n == chosen else ""
        rows.append(f"<tr{cls}>{''.join(cells)}</tr>")
    header = "".join(f'<th scope="col"{cls}>{escape(h)}</th>' for h, cls in head)
    return (
        f'<div class="table-wrap" tabindex="0" role="region" aria-label="{escape(w("h_table"))}"><table><caption class="sub">{escape(w("h_table"))}</caption>'
        f"<thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _minor(word: str) -> str:
    return ' class="minor"' if word in MINOR else ""


def _figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{escape(caption)}</figcaption></figure>"


def _served_chart(w: ReportWords, results: dict[int, RunSummary], ctx: ReportContext) -> str:
    points = [(float(n), _share(results, n) * 100) for n in sorted(results)]
    xs = [p[0] for p in points]
    series = [Series(w("c_served"), points)]
    for c in ctx.comparisons:
        other = [
            (float(n), float(r.kpis["served_share"]) * 100) for n, r in sorted(c.results.items())
        ]
        series.append(Series(w("served_by", policy=w(f"policy_{c.policy}")), other))
    if xs:
        target = ctx.target_served * 100
        label = w("chart_target", share=w.share(ctx.target_served))
        series.append(
            Series(label, [(min(xs), target), (max(xs), target)], dashed=True, colour="#555555")
        )
    return line_chart(
        series, x_label=w("chart_buses"), y_label=w("chart_served_y"), y_min=0, y_max=100,
        x_ticks=xs, title=w("chart_served"),
    )  # fmt: skip


def _wait_chart(w: ReportWords, results: dict[int, RunSummary], ctx: ReportContext) -> str:
    def minutes(runs: dict[int, RunSummary], key: str) -> list[tuple[float, float]]:
        return [(float(n), float(r.kpis[key])) for n, r in sorted(runs.items())]

    series = [
        Series(w("chart_wait_mean"), minutes(results, "wait_mean_min")),
        Series(w("chart_wait_p95"), minutes(results, "wait_p95_min")),
    ]
    for c in ctx.comparisons:
        series.append(
            Series(
                w("wait_by", policy=w(f"policy_{c.policy}")), minutes(c.results, "wait_mean_min")
            )
        )
    return line_chart(
        series, x_label=w("chart_buses"), y_label=w("chart_wait_y"),
        x_ticks=[float(n) for n in sorted(results)], y_min=0, title=w("chart_wait"),
    )  # fmt: skip


def _shown_sizes(chosen: int | None, sizes: Sequence[int]) -> list[int]:
    """The chosen fleet and its neighbours (or the smallest and largest)."""
    if not sizes:
        return []
    if chosen is None:
        return sorted({sizes[0], sizes[-1]})
    k = sizes.index(chosen)
    return [sizes[j] for j in range(max(0, k - 1), min(len(sizes), k + 2))]


def _occupancy(
    w: ReportWords,
    results: dict[int, RunSummary],
    chosen: int | None,
    sizes: Sequence[int],
    tz: tzinfo,
) -> str:
    series = [
        Series(w("chart_n_buses", n=n), [(float(t), x) for t, x in results[n].occupancy])
        for n in _shown_sizes(chosen, sizes)
    ]

    def clock(t: float) -> str:
        return datetime.fromtimestamp(t, tz).strftime("%H:%M")

    chart = line_chart(
        series, x_label=w("chart_occupancy_x"), y_label=w("chart_occupancy_y"), x_format=clock,
        x_ticks=_hours(series, tz), y_min=0, title=w("h_occupancy"),
    )  # fmt: skip
    return f"<h2>{escape(w('h_occupancy'))}</h2>" + _figure(chart, w("caption_occupancy"))


def _hours(series: Sequence[Series], tz: tzinfo) -> list[float]:
    """Every second full hour of local time within the plotted span."""
    xs = [x for s in series for x, _ in s.points]
    if not xs:
        return []
    first = datetime.fromtimestamp(min(xs), tz).replace(minute=0, second=0)
    start = int(first.timestamp())
    return [float(t) for t in range(start, int(max(xs)) + 1, 7200) if t >= min(xs)]


def _rejections(
    w: ReportWords,
    results: dict[int, RunSummary],
    chosen: int | None,
    sizes: Sequence[int],
    ctx: ReportContext,
) -> str:
    """The rejected requests of the chosen fleet — or of the largest fleet short of it."""
    candidates = [n for n in sizes if chosen is None or n <= chosen]
    shown = next((n for n in reversed(candidates) if results[n].rejected), None)
    if shown is None:
        return f"<h2>{escape(w('h_rejected', n=chosen or max(sizes, default=0)))}</h2><p>{escape(w('no_rejections'))}</p>"
    trips = results[shown].rejected
    heading = w("h_rejected", n=shown)
    chart = map_chart(ctx.roads, trips, places=ctx.places, title=heading)
    caption = w("caption_rejected", count=w.number(len(trips)), n=shown)
    return f"<h2>{escape(heading)}</h2><figure>{chart}{_map_legend(w)}<figcaption>{escape(caption)}</figcaption></figure>"


def _map_legend(w: ReportWords) -> str:
    def swatch(svg: str) -> str:
        return f'<svg width="22" height="12" viewBox="0 0 22 12" aria-hidden="true">{svg}</svg>'

    items = [
        (swatch('<circle cx="6" cy="6" r="4" fill="#c0181f"/><line x1="6" y1="6" x2="22" y2="6" stroke="#c0181f" stroke-opacity="0.6" stroke-width="1.5"/>'), w("legend_origin")),
        (swatch('<circle cx="11" cy="6" r="3.5" fill="#fff" stroke="#c0181f" stroke-width="1.5"/>'), w("legend_destination")),
        (swatch('<line x1="0" y1="6" x2="22" y2="6" stroke="#b3b3b3" stroke-width="2"/>'), w("legend_road")),
        (swatch('<circle cx="11" cy="6" r="2.5" fill="#333"/>'), w("legend_place")),
    ]  # fmt: skip
    return (
        '<ul class="legend">'
        + "".join(f"<li>{s}{escape(text)}</li>" for s, text in items)
        + "</ul>"
    )


def _assumptions(w: ReportWords, ctx: ReportContext) -> str:
    r = ctx.rules
    rows = [
        (w("s_demand"), w("s_demand_value", requests=w.number(ctx.requests), file=ctx.demand_name)),
        (w("s_days"), w.dates(ctx.days)),
        (w("s_seats"), f"{r.seats} / {r.wheelchair_places}"),
        (w("s_max_wait"), w("s_max_wait_value", min=w.number(r.max_wait_s / 60))),
        (w("s_ride"), w("s_ride_value", factor=w.number(r.ride_factor, 1), min=w.number(r.ride_extra_s / 60, 1 if r.ride_extra_s % 60 else 0))),
        (w("s_reopt"), w("s_reopt_value", min=w.number(r.reoptimise_every_s / 60, 1 if r.reoptimise_every_s % 60 else 0), iterations=r.solver_iterations, seed=r.seed)),
        (w("s_target"), w("s_target_value", share=w.share(ctx.target_served))),
    ]  # fmt: skip
    body = "".join(
        f'<tr><th scope="row">{escape(k)}</th><td>{escape(v)}</td></tr>' for k, v in rows
    )
    return f'<h2>{escape(w("h_scenario"))}</h2><table class="rules">{body}</table>'
