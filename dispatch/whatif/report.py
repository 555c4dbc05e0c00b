"""The side-by-side report of a scenario comparison, answer first, in the service's language."""

from __future__ import annotations

import html
import json
from functools import cache
from pathlib import Path
from typing import Any

from babel.numbers import format_currency, format_decimal, format_percent

from dispatch.whatif.compare import Column

WORDS = Path(__file__).parent / "words"
ROWS = ("requests", "served", "served_share", "wait_median_min", "wait_p95_min", "ride_mean_min",
        "vehicle_km", "vehicle_hours", "cost", "cost_per_trip", "wheelchair_gap", "village_gap")  # fmt: skip


@cache
def words(lang: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((WORDS / f"{lang}.json").read_text(encoding="utf-8"))
    return data


def cell(key: str, value: Any, currency: str, lang: str) -> str:
    if value is None:
        return "–"
    if key == "served_share":
        return format_percent(value, "#,##0.0 %", locale=lang)
    if key.endswith("_gap"):
        return format_decimal(value * 100, "#,##0.0", locale=lang)
    if key.startswith("cost"):
        return format_currency(value, currency, locale=lang)
    if isinstance(value, int):
        return format_decimal(value, locale=lang)
    return format_decimal(value, "#,##0.0", locale=lang)


def answer(columns: list[Column], lang: str) -> str:
    """The one sentence a council reads first."""
    w, base = words(lang), columns[0]
    best = max(
        columns[1:],
        key=lambda c: (c.figures["served"], -(c.figures["cost_per_trip"] or 0)),
        default=None,
    )
    cur = base.figures["currency"]
    values = {
        "base": base.name, "requests": cell("requests", base.figures["requests"], cur, lang),
        "base_share": cell("served_share", base.figures["served_share"], cur, lang),
        "base_cost": cell("cost_per_trip", base.figures["cost_per_trip"], cur, lang),
    }  # fmt: skip
    if best is None or best.figures["served"] <= base.figures["served"]:
        return w["answer_none"].format(**values)
    return w["answer_better"].format(
        **values, variant=best.name, served=cell("served", best.figures["served"], cur, lang),
        share=cell("served_share", best.figures["served_share"], cur, lang),
        cost=cell("cost_per_trip", best.figures["cost_per_trip"], cur, lang),
    )  # fmt: skip


def table(columns: list[Column], lang: str) -> list[list[str]]:
    w = words(lang)
    head = [w["figure"], *(c.name for c in columns)]
    body = [
        [w[key], *(cell(key, c.figures[key], c.figures["currency"], lang) for c in columns)]
        for key in ROWS
    ]
    return [head, *body]


def fairness_table(columns: list[Column], lang: str) -> list[list[str]]:
    w = words(lang)
    groups = sorted({(r["group_kind"], r["group"]) for c in columns for r in c.fairness})
    out = [[w["group"], *(c.name for c in columns)]]
    for kind, group in groups:
        row = [f"{kind}: {group}"]
        for c in columns:
            hit = next(
                (r for r in c.fairness if (r["group_kind"], r["group"]) == (kind, group)), None
            )
            share = None if hit is None else hit["served_share"]
            row.append(
                cell("served_share", share, "EUR", lang) + (f" ({hit['requests']})" if hit else "")
            )
        out.append(row)
    return out


def markdown(columns: list[Column], lang: str) -> str:
    w = words(lang)
    lines = [
        f"# {w['title'].format(base=columns[0].name, n=len(columns) - 1)}",
        "",
        f"**{answer(columns, lang)}**",
        "",
    ]
    for rows in (table(columns, lang), fairness_table(columns, lang)):
        lines += ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
        lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
        lines.append("")
    lines.append(w["note"])
    return "\n".join(lines) + "\n"


def html_report(columns: list[Column], lang: str) -> str:
    w = words(lang)
    direction = "rtl" if lang == "ar" else "ltr"

    def render(rows: list[list[str]], caption: str) -> str:
        head = "".join(f'<th scope="col">{html.escape(c)}</th>' for c in rows[0])
        body = "".join(
            "<tr>"
            + f'<th scope="row">{html.escape(r[0])}</th>'
            + "".join(f"<td>{html.escape(c)}</td>" for c in r[1:])
            + "</tr>"
            for r in rows[1:]
        )
        return f"<table><caption>{html.escape(caption)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    title = html.escape(w["title"].format(base=columns[0].name, n=len(columns) - 1))
    return (
        f'<!doctype html><html lang="{lang}" dir="{direction}"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}"
        "table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #999;padding:.3rem .6rem;text-align:end}"
        "caption{font-weight:700;text-align:start}.answer{font-size:1.25rem;font-weight:700}</style></head><body>"
        f'<h1>{title}</h1><p class="answer">{html.escape(answer(columns, lang))}</p>'
        f"{render(table(columns, lang), w['figure'])}{render(fairness_table(columns, lang), w['fairness'])}"
        f"<p>{html.escape(w['note'])}</p></body></html>\n"
    )
