"""Write the open data as a Frictionless data package: CSV tables, GeoJSON, datapackage.json."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path
from typing import Any

from dispatch.errors import InputError
from dispatch.opendata.aggregate import Tables

#: Field descriptions: name -> (type, unit or "", description).
FIELDS: dict[str, tuple[str, str, str]] = {
    "date": ("date", "", "service day (local time)"),
    "hour": (
        "integer",
        "h",
        "hour of the requested time (local), 0-23; times are coarsened to the hour; empty: hours with few requests, merged",
    ),
    "village": (
        "string",
        "",
        "village of the pickup (nearest named place); '(other)' merges small cells",
    ),
    "origin_village": ("string", "", "village of the pickup"),
    "destination_village": ("string", "", "village of the drop-off"),
    "group_kind": (
        "string",
        "",
        "how riders are grouped: wheelchair, channel, standing_order, village",
    ),
    "group": ("string", "", "the rider group"),
    "requests": (
        "integer",
        "requests",
        "ride requests (bookings not cancelled, plus requests that got no offer)",
    ),
    "served": ("integer", "requests", "requests a bus served or holds a promise for"),
    "rejected": ("integer", "requests", "requests that got no offer or lost their bus"),
    "served_share": ("number", "1", "served / requests"),
    "wait_median_min": ("number", "min", "median wait: pickup minus requested time"),
    "wait_p90_min": ("number", "min", "90th percentile of the wait"),
    "ride_median_min": ("number", "min", "median ride time"),
    "ride_p90_min": ("number", "min", "90th percentile of the ride time"),
    "late_share": (
        "number",
        "1",
        "share of served requests picked up after the promised window or arriving after the promised latest arrival",
    ),
    "phone_share": ("number", "1", "share of requests booked through the hotline"),
    "vehicle_km": ("number", "km", "kilometres the buses drove with riders between their stops"),
    "occupancy": ("number", "1", "passenger-km / vehicle-km"),
    "table": ("string", "", "the table whose cells were suppressed"),
    "cells": ("integer", "cells", "cells suppressed (fewer than k requests even after merging)"),
}

TITLES = {
    "days": "Figures per day",
    "day_villages": "Figures per day and village",
    "hours": "Requests per day and hour",
    "flows": "Requests between villages (month)",
    "fairness": "Figures per rider group (month)",
    "suppression": "What was suppressed for privacy",
}


def csv_text(rows: list[dict[str, Any]], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows({c: ("" if r.get(c) is None else r[c]) for c in columns} for r in rows)
    return out.getvalue()


def columns_of(name: str, rows: list[dict[str, Any]]) -> list[str]:
    if rows:
        return list(rows[0])
    from dispatch.opendata.aggregate import FAIRNESS_FIGURES

    defaults = {
        "days": ["date", "requests", "served", "vehicle_km", "occupancy"],
        "day_villages": ["date", "village", "requests", "served"],
        "hours": ["date", "hour", "requests", "served"],
        "flows": ["origin_village", "destination_village", "requests", "served"],
        "fairness": ["group_kind", "group", *FAIRNESS_FIGURES],
        "suppression": ["table", "cells", "requests"],
    }
    return defaults[name]


def descriptor(
    month: str, service: str, licence: str, k: int, tables: dict[str, list[str]]
) -> dict[str, Any]:
    resources: list[dict[str, Any]] = [
        {
            "name": name.replace("_", "-"),
            "title": TITLES[name],
            "path": f"{name}.csv",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "schema": {"fields": [_field(c) for c in columns]},
        }
        for name, columns in tables.items()
    ]
    resources.append({
        "name": "villages",
        "title": "Villages with their month's requests (place centres from OpenStreetMap)",
        "path": "villages.geojson",
        "format": "geojson",
        "mediatype": "application/geo+json",
    })  # fmt: skip
    return {
        "name": f"rufbus-{month}",
        "title": f"{service}: open data {month}",
        "description": (
            f"Figures of the on-demand bus service for {month}. Privacy: no names, phone "
            f"numbers, addresses or coordinates of riders; times coarsened to the hour; "
            f"places are villages. Every published cell counts at least {k} requests: "
            f"smaller cells are merged into '(other)' or, if still smaller, suppressed "
            f"(counted in suppression.csv)."
        ),
        "licenses": [{"name": licence, "path": _licence_url(licence)}],
        "created": f"{month}-01T00:00:00Z",
        "resources": resources,
    }


def _field(column: str) -> dict[str, Any]:
    kind, unit, description = FIELDS[column]
    field: dict[str, Any] = {"name": column, "type": kind, "description": description}
    if unit:
        field["unit"] = unit
    return field


def _licence_url(licence: str) -> str:
    if licence == "CC-BY-4.0":
        return "https://creativecommons.org/licenses/by/4.0/"
    return f"https://spdx.org/licenses/{licence}.html"


def write_package(folder: Path, files: dict[str, str]) -> None:
    """All files or none: written to a sibling folder first, then moved into place."""
    tmp = folder.with_name(f".{folder.name}.tmp")
    try:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for name, text in files.items():
            (tmp / name).write_text(text, encoding="utf-8")
        if folder.exists():
            for name in files:
                (tmp / name).replace(folder / name)
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.rename(folder)
    except OSError as exc:
        raise InputError(f"{folder}: cannot write the open data: {exc.strerror}") from None


def package_files(
    month: str, service: str, licence: str, k: int, tables: Tables, villages: dict[str, Any]
) -> dict[str, str]:
    everything = {**tables.rows, "suppression": tables.suppression}
    columns = {name: columns_of(name, rows) for name, rows in everything.items()}
    files = {f"{name}.csv": csv_text(rows, columns[name]) for name, rows in everything.items()}
    files["villages.geojson"] = json.dumps(villages, ensure_ascii=False, indent=1)
    files["datapackage.json"] = json.dumps(
        descriptor(month, service, licence, k, columns), ensure_ascii=False, indent=2
    )
    return files
