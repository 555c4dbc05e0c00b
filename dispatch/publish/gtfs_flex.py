"""A GTFS feed with the GTFS-Flex extension, written from the service definition.

The feed describes an on-demand service: one agency, one demand-responsive route, the
service area as zones in ``locations.geojson``, the virtual stops as a location group,
and per group of weekdays with the same operating hours one trip whose stop times carry
pickup/drop-off windows instead of times. Calendars come from the shifts: a weekday is
served when the service is open and at least one shift runs on it.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from dispatch.config import WEEKDAYS, ServiceConfig, Span
from dispatch.errors import InputError
from dispatch.publish.zones import Zone, zone_of
from dispatch.stops import VirtualStop

AGENCY_ID = "rufbus"
ROUTE_ID = "rufbus-on-demand"
STOPS_GROUP = "virtual-stops"
BOOKING_RULE = "booking"
#: How far ahead the feed's calendars reach.
FEED_DAYS = 365


class PublishError(InputError):
    """The service definition cannot be published as it is (e.g. a stop outside every zone)."""


@dataclass(frozen=True, slots=True)
class FeedInput:
    config: ServiceConfig
    zones: list[Zone]
    stops: Sequence[VirtualStop]
    start: date


def build_feed(feed: FeedInput) -> bytes:
    """The feed as a zip archive; raises :class:`PublishError` for a broken definition."""
    check_stops(feed)
    services = _services(feed.config)
    if not services:
        raise PublishError("no day has both operating hours and a shift: nothing to publish")
    files = {
        "agency.txt": _agency(feed.config),
        "feed_info.txt": _feed_info(feed),
        "routes.txt": _rows(
            ["route_id", "agency_id", "route_short_name", "route_long_name", "route_type"],
            [[ROUTE_ID, AGENCY_ID, feed.config.name[:12], feed.config.name, 3]],
        ),
        "stops.txt": _rows(
            ["stop_id", "stop_name", "stop_lat", "stop_lon", "location_type"],
            [[s.id, s.name, f"{s.lat:.6f}", f"{s.lon:.6f}", 0] for s in feed.stops],
        ),
        "location_groups.txt": _rows(
            ["location_group_id", "location_group_name"], [[STOPS_GROUP, "Virtual stops"]]
        ),
        "location_group_stops.txt": _rows(
            ["location_group_id", "stop_id"], [[STOPS_GROUP, s.id] for s in feed.stops]
        ),
        "booking_rules.txt": _booking_rules(feed.config),
        "calendar.txt": _calendar(services, feed.start),
        "calendar_dates.txt": _calendar_dates(feed.config, services, feed.start),
        "trips.txt": _trips(feed, services),
        "stop_times.txt": _stop_times(feed, services),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
        archive.writestr("locations.geojson", json.dumps(_locations(feed.zones), indent=1))
    return buffer.getvalue()


def check_stops(feed: FeedInput) -> None:
    outside = [s for s in feed.stops if zone_of(feed.zones, s.lat, s.lon) is None]
    if outside:
        names = ", ".join(f"{s.id} ({s.name}, {s.lat:.5f}, {s.lon:.5f})" for s in outside[:5])
        raise PublishError(f"{len(outside)} virtual stop(s) lie outside every zone: {names}")


def _services(config: ServiceConfig) -> dict[str, tuple[Span, list[int]]]:
    """service_id -> (hours, weekdays), for weekdays that are open and have a shift."""
    out: dict[str, tuple[Span, list[int]]] = {}
    for weekday in range(7):
        span = config.hours.on(weekday)
        shifted = any(WEEKDAYS[weekday] in s.weekdays for s in config.fleet.shifts)
        if span is None or not shifted:
            continue
        sid = f"hours-{span.start:%H%M}-{span.end:%H%M}"
        out.setdefault(sid, (span, []))[1].append(weekday)
    return out


def _rows(header: list[str], rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _agency(config: ServiceConfig) -> str:
    p = config.publish
    return _rows(
        [
            "agency_id",
            "agency_name",
            "agency_url",
            "agency_timezone",
            "agency_lang",
            "agency_phone",
        ],
        [[AGENCY_ID, config.name, p.agency_url, config.time_zone, config.language, p.phone]],
    )


def _feed_info(feed: FeedInput) -> str:
    end = feed.start + timedelta(days=FEED_DAYS)
    return _rows(
        ["feed_publisher_name", "feed_publisher_url", "feed_lang", "feed_start_date",
         "feed_end_date", "feed_version"],
        [[feed.config.name, feed.config.publish.agency_url, feed.config.language,
          f"{feed.start:%Y%m%d}", f"{end:%Y%m%d}", f"{feed.start:%Y%m%d}"]],
    )  # fmt: skip


def _booking_rules(config: ServiceConfig) -> str:
    rules, p = config.booking, config.publish
    horizon_min = max(rules.prebooking_horizon_days, 1) * 1440
    # Same-day booking with notice (type 1) states the notice and how far ahead one may book.
    notice = max(rules.minimum_notice_min, 1)
    return _rows(
        ["booking_rule_id", "booking_type", "prior_notice_duration_min",
         "prior_notice_duration_max", "message", "phone_number", "info_url", "booking_url"],
        [[BOOKING_RULE, 1, notice, horizon_min, p.message, p.phone, p.agency_url,
          p.booking_url]],
    )  # fmt: skip


def _calendar(services: dict[str, tuple[Span, list[int]]], start: date) -> str:
    end = start + timedelta(days=FEED_DAYS)
    rows = [
        [sid, *(int(d in days) for d in range(7)), f"{start:%Y%m%d}", f"{end:%Y%m%d}"]
        for sid, (_, days) in services.items()
    ]
    header = ["service_id", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
              "sunday", "start_date", "end_date"]  # fmt: skip
    return _rows(header, rows)


def _calendar_dates(
    config: ServiceConfig, services: dict[str, tuple[Span, list[int]]], start: date
) -> str:
    """Shifts on single dates (e.g. a Christmas market Sunday) add service on those days."""
    by_weekday = {d: sid for sid, (_, days) in services.items() for d in days}
    rows = []
    end = start + timedelta(days=FEED_DAYS)
    dated = sorted({d for s in config.fleet.shifts for d in s.dates if start <= d <= end})
    for day in dated:
        span = config.hours.on(day.weekday())
        if span is None or day.weekday() in by_weekday:
            continue
        sid = f"hours-{span.start:%H%M}-{span.end:%H%M}"
        if sid in services:
            rows.append([sid, f"{day:%Y%m%d}", 1])
    return _rows(["service_id", "date", "exception_type"], rows)


def _trip_ids(feed: FeedInput, sid: str) -> list[tuple[str, str, str]]:
    """(trip_id, kind, location ref) per zone and one for the virtual stops."""
    trips = [(f"{sid}-zone-{z.id}", "location_id", z.id) for z in feed.zones]
    if feed.stops:
        trips.append((f"{sid}-stops", "location_group_id", STOPS_GROUP))
    return trips


def _trips(feed: FeedInput, services: dict[str, tuple[Span, list[int]]]) -> str:
    rows = [[ROUTE_ID, sid, tid] for sid in services for tid, _, _ in _trip_ids(feed, sid)]
    return _rows(["route_id", "service_id", "trip_id"], rows)


def _stop_times(feed: FeedInput, services: dict[str, tuple[Span, list[int]]]) -> str:
    header = ["trip_id", "stop_sequence", "stop_id", "location_group_id", "location_id",
              "start_pickup_drop_off_window", "end_pickup_drop_off_window", "pickup_type",
              "drop_off_type", "pickup_booking_rule_id", "drop_off_booking_rule_id"]  # fmt: skip
    rows = []
    for sid, (span, _) in services.items():
        start, end = f"{span.start:%H:%M:%S}", f"{span.end:%H:%M:%S}"
        for tid, kind, ref in _trip_ids(feed, sid):
            group = ref if kind == "location_group_id" else ""
            location = ref if kind == "location_id" else ""
            # First row: board here (phone/app booking); second row: alight here.
            rows.append([tid, 1, "", group, location, start, end, 2, 1, BOOKING_RULE, ""])
            rows.append([tid, 2, "", group, location, start, end, 1, 2, "", BOOKING_RULE])
    return _rows(header, rows)


def _locations(zones: list[Zone]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": z.id,
                "properties": {"stop_name": z.name},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[round(x, 6), round(y, 6)] for x, y in z.polygon.exterior.coords]
                    ],
                },
            }
            for z in zones
        ],
    }
