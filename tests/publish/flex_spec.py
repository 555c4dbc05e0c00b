"""An independent check of a GTFS-Flex feed, written from the GTFS reference
(https://gtfs.org/schedule/reference/, the Flex fields merged into it in 2024), not from
the writer. What it checks, per file:

- required files: agency, routes, trips, stop_times, calendar and/or calendar_dates;
  locations.geojson, location_groups, booking_rules when stop_times refer to them;
- required fields of every row; ids unique in their file; stop_id, location_group_id and
  the GeoJSON feature ids unique across the three (one namespace);
- references: routes.agency_id, trips.route_id, trips.service_id (calendar or
  calendar_dates), stop_times.trip_id, stop_times' stop/location_group/location ids,
  location_group_stops, booking rule ids;
- stop_times: exactly one of stop_id, location_group_id, location_id; with a location
  group or location, both window fields are present, arrival/departure times absent,
  start < end, pickup_type not 0 or 3, drop_off_type not 0;
- booking_rules: booking_type 0/1/2; prior_notice_duration_min required for type 1 and
  forbidden for 0; prior_notice_duration_max only with type 1 and ≥ min; phone or URL
  to book with;
- locations.geojson: a FeatureCollection of Polygon/MultiPolygon features with ids,
  closed rings of [lon, lat] in range, at least four positions;
- calendar: seven 0/1 weekday fields, dates YYYYMMDD, start ≤ end;
- every stop lies inside some zone (point in polygon by ray casting, own code).
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from itertools import pairwise
from pathlib import Path
from typing import Any

REQUIRED = {
    "agency.txt": ["agency_name", "agency_url", "agency_timezone"],
    "routes.txt": ["route_id", "route_type"],
    "trips.txt": ["route_id", "service_id", "trip_id"],
    "stop_times.txt": ["trip_id", "stop_sequence"],
    "stops.txt": ["stop_id"],
    "location_groups.txt": ["location_group_id"],
    "location_group_stops.txt": ["location_group_id", "stop_id"],
    "booking_rules.txt": ["booking_rule_id", "booking_type"],
    "calendar.txt": ["service_id", "monday", "tuesday", "wednesday", "thursday", "friday",
                     "saturday", "sunday", "start_date", "end_date"],
    "calendar_dates.txt": ["service_id", "date", "exception_type"],
}  # fmt: skip
TIME = re.compile(r"^\d{1,2}:[0-5]\d:[0-5]\d$")
DATE = re.compile(r"^\d{8}$")


def _read(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    if name not in archive.namelist():
        return []
    text = archive.read(name).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def _seconds(text: str) -> int:
    h, m, s = (int(x) for x in text.split(":"))
    return h * 3600 + m * 60 + s


def inside(lon: float, lat: float, ring: list[list[float]]) -> bool:
    hit = False
    for (x1, y1), (x2, y2) in pairwise(ring):
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            hit = not hit
    return hit


def validate_feed(path: Path) -> list[str]:
    """Every problem found, as a readable line; an empty list means the feed passes."""
    errors: list[str] = []
    with zipfile.ZipFile(path) as archive:
        files = {n: _read(archive, n) for n in REQUIRED}
        names = set(archive.namelist())
        geo = (
            json.loads(archive.read("locations.geojson")) if "locations.geojson" in names else None
        )
    for name in ("agency.txt", "routes.txt", "trips.txt", "stop_times.txt"):
        if name not in names:
            errors.append(f"{name}: missing")
    if "calendar.txt" not in names and "calendar_dates.txt" not in names:
        errors.append("calendar.txt or calendar_dates.txt: missing")
    for name, fields in REQUIRED.items():
        for i, row in enumerate(files[name], start=2):
            for f in fields:
                if not (row.get(f) or "").strip():
                    errors.append(f"{name} line {i}: {f} is required")
    zones = _check_geojson(geo, errors)
    errors += _check_ids(files, zones)
    errors += _check_refs(files, zones)
    errors += _check_stop_times(files)
    errors += _check_booking_rules(files["booking_rules.txt"])
    errors += _check_calendar(files["calendar.txt"])
    errors += _check_stops_in_zones(files["stops.txt"], zones)
    return errors


def _check_geojson(geo: Any, errors: list[str]) -> dict[str, list[list[list[float]]]]:
    zones: dict[str, list[list[list[float]]]] = {}
    if geo is None:
        return zones
    if geo.get("type") != "FeatureCollection":
        errors.append("locations.geojson: not a FeatureCollection")
        return zones
    for f in geo.get("features", []):
        fid, geom = f.get("id"), f.get("geometry") or {}
        if not fid:
            errors.append("locations.geojson: a feature without id")
            continue
        if geom.get("type") == "Polygon":
            polygons = [geom["coordinates"]]
        elif geom.get("type") == "MultiPolygon":
            polygons = geom["coordinates"]
        else:
            errors.append(f"locations.geojson {fid}: geometry must be Polygon or MultiPolygon")
            continue
        rings = []
        for polygon in polygons:
            for ring in polygon:
                if len(ring) < 4 or ring[0] != ring[-1]:
                    errors.append(f"locations.geojson {fid}: a ring is not closed or too short")
                if any(not (-180 <= x <= 180 and -90 <= y <= 90) for x, y in ring):
                    errors.append(f"locations.geojson {fid}: coordinates out of range")
            rings.append(polygon[0])
        zones[fid] = rings
    return zones


def _check_ids(files: dict[str, list[dict[str, str]]], zones: dict[str, Any]) -> list[str]:
    errors = []
    for name, key in (("stops.txt", "stop_id"), ("routes.txt", "route_id"), ("trips.txt", "trip_id"),
                      ("location_groups.txt", "location_group_id"), ("booking_rules.txt", "booking_rule_id")):  # fmt: skip
        ids = [r[key] for r in files[name]]
        if len(ids) != len(set(ids)):
            errors.append(f"{name}: duplicate {key}")
    stop_ids = {r["stop_id"] for r in files["stops.txt"]}
    groups = {r["location_group_id"] for r in files["location_groups.txt"]}
    for a, b, what in ((stop_ids, groups, "stop_id and location_group_id"),
                       (stop_ids, set(zones), "stop_id and location id"),
                       (groups, set(zones), "location_group_id and location id")):  # fmt: skip
        if a & b:
            errors.append(f"ids shared between {what}: {sorted(a & b)[:3]}")
    return errors


def _check_refs(files: dict[str, list[dict[str, str]]], zones: dict[str, Any]) -> list[str]:
    errors = []
    agencies = {r.get("agency_id", "") for r in files.get("agency.txt", [])}
    routes = {r["route_id"] for r in files["routes.txt"]}
    services = {r["service_id"] for r in files["calendar.txt"]} | {
        r["service_id"] for r in files["calendar_dates.txt"]
    }
    trips = {r["trip_id"] for r in files["trips.txt"]}
    stops = {r["stop_id"] for r in files["stops.txt"]}
    groups = {r["location_group_id"] for r in files["location_groups.txt"]}
    rules = {r["booking_rule_id"] for r in files["booking_rules.txt"]}
    for r in files["routes.txt"]:
        if r.get("agency_id") and r["agency_id"] not in agencies:
            errors.append(f"routes.txt {r['route_id']}: unknown agency_id")
    for r in files["trips.txt"]:
        if r["route_id"] not in routes:
            errors.append(f"trips.txt {r['trip_id']}: unknown route_id {r['route_id']}")
        if r["service_id"] not in services:
            errors.append(f"trips.txt {r['trip_id']}: unknown service_id {r['service_id']}")
    for r in files["location_group_stops.txt"]:
        if r["location_group_id"] not in groups or r["stop_id"] not in stops:
            errors.append(f"location_group_stops.txt: unknown group or stop {r}")
    for r in files["stop_times.txt"]:
        if r["trip_id"] not in trips:
            errors.append(f"stop_times.txt: unknown trip_id {r['trip_id']}")
        for key, known in (("stop_id", stops), ("location_group_id", groups), ("location_id", set(zones)),
                           ("pickup_booking_rule_id", rules), ("drop_off_booking_rule_id", rules)):  # fmt: skip
            value = r.get(key) or ""
            if value and value not in known:
                errors.append(f"stop_times.txt {r['trip_id']}: unknown {key} {value}")
    return errors


def _check_stop_times(files: dict[str, list[dict[str, str]]]) -> list[str]:
    errors = []
    for r in files["stop_times.txt"]:
        where = f"stop_times.txt {r['trip_id']}#{r['stop_sequence']}"
        refs = [k for k in ("stop_id", "location_group_id", "location_id") if r.get(k)]
        if len(refs) != 1:
            errors.append(f"{where}: needs exactly one of stop_id, location_group_id, location_id")
        start, end = (
            r.get("start_pickup_drop_off_window", ""),
            r.get("end_pickup_drop_off_window", ""),
        )
        if refs and refs[0] != "stop_id":
            if not (TIME.match(start) and TIME.match(end)):
                errors.append(f"{where}: pickup/drop-off window required as HH:MM:SS")
            elif _seconds(start) >= _seconds(end):
                errors.append(f"{where}: window start must be before its end")
            if r.get("arrival_time") or r.get("departure_time"):
                errors.append(f"{where}: arrival/departure times forbidden with a window")
            if r.get("pickup_type", "0") in ("", "0", "3"):
                errors.append(f"{where}: pickup_type 0 or 3 is forbidden with a window")
            if r.get("drop_off_type", "0") in ("", "0"):
                errors.append(f"{where}: drop_off_type 0 is forbidden with a window")
    return errors


def _check_booking_rules(rows: list[dict[str, str]]) -> list[str]:
    errors = []
    for r in rows:
        where, kind = f"booking_rules.txt {r['booking_rule_id']}", r.get("booking_type")
        low, high = r.get("prior_notice_duration_min", ""), r.get("prior_notice_duration_max", "")
        if kind not in ("0", "1", "2"):
            errors.append(f"{where}: booking_type must be 0, 1 or 2")
        if kind == "1" and not low:
            errors.append(f"{where}: prior_notice_duration_min required for booking_type 1")
        if kind == "0" and (low or high):
            errors.append(f"{where}: prior notice forbidden for real-time booking")
        if high and (kind != "1" or int(high) < int(low or 0)):
            errors.append(f"{where}: prior_notice_duration_max only for type 1, not below the min")
        if not (r.get("phone_number") or r.get("booking_url") or r.get("info_url")):
            errors.append(f"{where}: no phone number or URL to book with")
    return errors


def _check_calendar(rows: list[dict[str, str]]) -> list[str]:
    errors = []
    days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    for r in rows:
        if any(r[d] not in ("0", "1") for d in days):
            errors.append(f"calendar.txt {r['service_id']}: weekday fields must be 0 or 1")
        if (
            not (DATE.match(r["start_date"]) and DATE.match(r["end_date"]))
            or r["start_date"] > r["end_date"]
        ):
            errors.append(f"calendar.txt {r['service_id']}: bad date range")
    return errors


def _check_stops_in_zones(rows: list[dict[str, str]], zones: dict[str, Any]) -> list[str]:
    rings = [ring for zone in zones.values() for ring in zone]
    return [
        f"stops.txt {r['stop_id']}: outside every zone"
        for r in rows
        if not any(inside(float(r["stop_lon"]), float(r["stop_lat"]), ring) for ring in rings)
    ]
