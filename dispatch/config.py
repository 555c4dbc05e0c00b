"""The service definition: region, hours, stops, fleet, shifts and booking rules.

Read from a TOML file (see ``service.example.toml`` at the repository root, which
documents every field) and validated with pydantic; every problem is reported as
``file: path.to.field: what is wrong``. Without a file, the built-in default serves
the countryside north of Bayreuth with six buses.
"""

from __future__ import annotations

import re
import secrets
import tomllib
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic import model_validator as _model_validator

from dispatch.config_stops import CsvStop, read_stop_csv
from dispatch.errors import InputError

if TYPE_CHECKING:
    from dispatch.engine.params import EngineParams
    from dispatch.roads.source import OsmSource

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: The default region: north of Bayreuth (S, W, N, E), as in ``dispatch.roads``.
DEFAULT_BBOX = (49.9721, 11.4807, 50.047, 11.6053)

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Count = Annotated[int, Field(ge=0)]
Token = Annotated[SecretStr, Field(min_length=16)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _clock(text: str) -> time:
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a time of day (HH:MM): {text!r}") from None


class Span(_Model):
    """From ``start`` to ``end`` on the same day (``HH:MM``)."""

    start: time
    end: time

    @field_validator("start", "end", mode="before")
    @classmethod
    def _parse(cls, value: object) -> object:
        return _clock(value) if isinstance(value, str) else value

    @_model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end <= self.start:
            raise ValueError(f"ends ({self.end:%H:%M}) before it starts ({self.start:%H:%M})")
        return self

    @classmethod
    def parse(cls, value: object) -> object:
        """Accept ``["06:00", "22:00"]`` as well as ``{start = ..., end = ...}``."""
        if isinstance(value, list | tuple) and len(value) == 2:
            return {"start": value[0], "end": value[1]}
        return value


class Point(_Model):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class RegionConfig(_Model):
    """Where the map comes from: exactly one of ``file``, ``place`` and ``bbox``."""

    file: Path | None = None
    place: str | None = None
    bbox: tuple[float, float, float, float] | None = None

    @_model_validator(mode="after")
    def _one_source(self) -> Self:
        if sum(x is not None for x in (self.file, self.place, self.bbox)) != 1:
            raise ValueError("give exactly one of file, place and bbox")
        if self.bbox is not None:
            s, w, n, e = self.bbox
            if not (-90 <= s < n <= 90 and -180 <= w < e <= 180):
                raise ValueError("bbox is south, west, north, east with south < north, west < east")
        return self

    def source(self) -> OsmSource:
        """Where the road loader finds this region's map."""
        from dispatch.roads.source import OsmSource  # the map loader only when it is needed

        if self.file is not None:
            return OsmSource(path=self.file)
        if self.place is not None:
            return OsmSource(place=self.place)
        assert self.bbox is not None
        return OsmSource(bbox=self.bbox)


class OperatingHours(_Model):
    """Daily hours, optionally overridden per weekday; an empty list closes a day."""

    daily: Span | None = None
    mon: Span | None = None
    tue: Span | None = None
    wed: Span | None = None
    thu: Span | None = None
    fri: Span | None = None
    sat: Span | None = None
    sun: Span | None = None
    closed: tuple[Weekday, ...] = ()

    @field_validator("daily", *WEEKDAYS, mode="before")
    @classmethod
    def _span(cls, value: object) -> object:
        return Span.parse(value)

    def on(self, weekday: int) -> Span | None:
        """The hours on ``weekday`` (0 = Monday), or None if the service is closed."""
        name = WEEKDAYS[weekday]
        if name in self.closed:
            return None
        span: Span | None = getattr(self, name)
        return span if span is not None else self.daily


class StopsConfig(_Model):
    from_osm: bool = True
    from_places: bool = True
    csv: Path | None = None
    extra: tuple[CsvStop, ...] = ()


class VehicleConfig(_Model):
    id: str = Field(min_length=1)
    name: str = ""
    seats: int = Field(ge=1)
    wheelchair_places: Count = 0
    depot: Point
    device_token: Token
    #: True when no token was configured and one was made up at load time.
    device_token_generated: bool = False

    @_model_validator(mode="before")
    @classmethod
    def _defaults(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            data.setdefault("name", data.get("id", ""))
            if data.get("device_token") is None:
                data["device_token"] = secrets.token_urlsafe(24)
                data["device_token_generated"] = True
        return data


class ShiftConfig(_Model):
    """A vehicle's working time on some weekdays (or dates); depots default to its own."""

    vehicle: str
    weekdays: tuple[Weekday, ...] = ()
    dates: tuple[date, ...] = ()
    start: time
    end: time
    breaks: tuple[Span, ...] = ()
    start_depot: Point | None = None
    end_depot: Point | None = None

    @field_validator("start", "end", mode="before")
    @classmethod
    def _parse(cls, value: object) -> object:
        return _clock(value) if isinstance(value, str) else value

    @field_validator("weekdays", mode="before")
    @classmethod
    def _daily(cls, value: object) -> object:
        return WEEKDAYS if value == "daily" else value

    @field_validator("breaks", mode="before")
    @classmethod
    def _spans(cls, value: object) -> object:
        return [Span.parse(v) for v in value] if isinstance(value, list) else value

    @_model_validator(mode="after")
    def _consistent(self) -> Self:
        if not self.weekdays and not self.dates:
            raise ValueError('give weekdays (or "daily") or dates')
        if self.end <= self.start:
            raise ValueError(f"ends ({self.end:%H:%M}) before it starts ({self.start:%H:%M})")
        for b in self.breaks:
            if b.start < self.start or b.end > self.end:
                raise ValueError(f"break {b.start:%H:%M}-{b.end:%H:%M} lies outside the shift")
        return self

    def runs_on(self, day: date) -> bool:
        return day in self.dates or WEEKDAYS[day.weekday()] in self.weekdays


class FleetConfig(_Model):
    vehicles: tuple[VehicleConfig, ...] = Field(min_length=1)
    shifts: tuple[ShiftConfig, ...] = Field(min_length=1)

    @_model_validator(mode="after")
    def _known_vehicles(self) -> Self:
        ids = [v.id for v in self.vehicles]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"vehicle ids used twice: {', '.join(duplicates)}")
        unknown = sorted({s.vehicle for s in self.shifts} - set(ids))
        if unknown:
            raise ValueError(f"shifts name unknown vehicles: {', '.join(unknown)}")
        return self

    def vehicle(self, vehicle_id: str) -> VehicleConfig:
        return next(v for v in self.vehicles if v.id == vehicle_id)


class BookingRules(_Model):
    prebooking_horizon_days: int = Field(default=7, ge=0, le=366)
    minimum_notice_min: Count = 0
    max_wait_min: int = Field(default=15, ge=1)
    pickup_window_min: int = Field(default=10, ge=1)
    #: "window": promise a pickup window of ``pickup_window_min`` around the planned pickup;
    #: "max_wait": promise the whole span from the requested time to ``max_wait_min``.
    promise: Literal["window", "max_wait"] = "window"
    #: When no bus can take a ride as planned, try moving one or two other bookings (their
    #: promises kept) to make room.
    reassign_for_offers: bool = True
    offer_hold_s: int = Field(default=120, ge=1)
    no_show_wait_s: Count = 180
    #: The fairness option: the largest gap in served share (0–1) between wheelchair users
    #: and others before a wheelchair user's refused request is asked again, fairness_extra_wait_min
    #: later (live service, replays and scenario comparisons; None: off).
    fairness_max_gap: float | None = Field(default=None, ge=0, le=1)
    fairness_extra_wait_min: int = Field(default=15, ge=1)


class RideTimeConfig(_Model):
    """Maximum ride time = ``factor`` × direct travel time + ``extra_min``."""

    factor: float = Field(default=1.5, ge=1.0)
    extra_min: Count = 10


class ServiceTimesConfig(_Model):
    boarding_s: Count = 60
    alighting_s: Count = 60
    wheelchair_extra_s: Count = 180
    walker_extra_s: Count = 120


class ReoptimisationConfig(_Model):
    debounce_s: Count = 5
    period_s: int = Field(default=60, ge=1)
    time_limit_s: float = Field(default=2.0, gt=0)


class ObjectiveConfig(_Model):
    """What the dispatcher minimises: weights per second (see the README)."""

    drive_weight: float = Field(default=1.0, ge=0)
    wait_weight: float = Field(default=0.2, ge=0)
    excess_ride_weight: float = Field(default=0.2, ge=0)


class RetentionConfig(_Model):
    """How long expired offers, used idempotency keys and superseded plan versions are kept."""

    days: int = Field(default=7, ge=1, le=3660)


class TokensConfig(_Model):
    admin: Token | None = None
    agents: tuple[Token, ...] = ()


class ZoneConfig(_Model):
    """A zone of the service area for trip planners: a polygon of ``[lat, lon]`` corners."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = ""
    polygon: tuple[tuple[float, float], ...] = Field(min_length=3)


class PublishConfig(_Model):
    """What trip planners and the open data show about the service (GTFS-Flex, /open)."""

    agency_url: str = "https://example.org/rufbus"
    phone: str = ""
    booking_url: str = ""
    message: str = "Book your ride by phone or in the Rufbus app."
    #: Zones of the service area; none: the area the buses can reach (the road network's hull).
    zones: tuple[ZoneConfig, ...] = ()
    #: Licence of the open data (an SPDX id) and the smallest number of trips in a published cell.
    licence: str = "CC-BY-4.0"
    k_anonymity: int = Field(default=5, ge=2)


class CostsConfig(_Model):
    """What the service costs, for the cost per trip in scenario comparisons."""

    per_vehicle_hour: float = Field(default=45.0, ge=0)
    per_km: float = Field(default=0.6, ge=0)
    currency: str = "EUR"


#: Languages of the pages and reports.
Language = Literal["de", "en", "tr", "uk", "ar"]


#: A service area's short name: lower-case letters, digits and hyphens (``north-bayreuth``).
AREA_PATTERN = r"^[a-z0-9][a-z0-9-]{0,39}$"


class ServiceConfig(_Model):
    name: str = "Rufbus"
    #: The service area's short name (in URLs ``/areas/NAME/…``, metrics, ``--area``);
    #: made from ``name`` when not given.
    area: str = Field(default="", pattern=r"^$|" + AREA_PATTERN)
    time_zone: str = "Europe/Berlin"
    #: The country calling code of phone numbers written the national way (``0921 …``):
    #: 49 Germany, 43 Austria, 41 Switzerland. Numbers with ``+`` or ``00`` keep theirs.
    phone_country_code: str = Field(default="49", pattern=r"^[1-9][0-9]{0,2}$")
    #: The pages' language when the browser asks for none of theirs; the reports' language.
    language: Language = "de"
    region: RegionConfig
    hours: OperatingHours = OperatingHours(daily=Span(start=time(6), end=time(22)))
    stops: StopsConfig = StopsConfig()
    fleet: FleetConfig
    booking: BookingRules = BookingRules()
    ride_time: RideTimeConfig = RideTimeConfig()
    service_times: ServiceTimesConfig = ServiceTimesConfig()
    reoptimisation: ReoptimisationConfig = ReoptimisationConfig()
    objective: ObjectiveConfig = ObjectiveConfig()
    tokens: TokensConfig = TokensConfig()
    retention: RetentionConfig = RetentionConfig()
    publish: PublishConfig = PublishConfig()
    costs: CostsConfig = CostsConfig()

    @_model_validator(mode="after")
    def _area_from_name(self) -> Self:
        if not self.area:
            slug = "-".join(re.findall(r"[a-z0-9]+", self.name.lower()))[:40].strip("-")
            object.__setattr__(self, "area", slug or "area")
        return self

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use e.g. Europe/Berlin)") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def shifts_on(self, day: date) -> list[tuple[ShiftConfig, int, int]]:
        """The shifts that run on local ``day``, with start and end as epoch seconds."""
        return [
            (s, self.epoch(day, s.start), self.epoch(day, s.end))
            for s in self.fleet.shifts
            if s.runs_on(day)
        ]

    def epoch(self, day: date, clock: time) -> int:
        """Local ``day`` at ``clock`` in the service's time zone, as UTC epoch seconds."""
        return int(datetime.combine(day, clock, tzinfo=self.zone).timestamp())


def load_service_config(
    path: Path | None = None, *, osm_source: str | None = None
) -> ServiceConfig:
    """Read and validate a service definition; ``None`` gives the built-in default.

    ``osm_source`` (``DISPATCH_OSM_SOURCE``) is the map file used when the
    definition names no region. Relative paths in the file are relative to it.
    """
    if path is None:
        from dispatch.config_default import DEFAULT_SERVICE

        return _validate(DEFAULT_SERVICE, "built-in service definition", Path.cwd(), osm_source)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read the service definition: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None
    return _validate(data, str(path), path.parent, osm_source)


def _validate(
    data: dict[str, Any], origin: str, base: Path, osm_source: str | None
) -> ServiceConfig:
    data = dict(data)
    data.setdefault("region", _default_region(osm_source))
    data["region"] = _resolve(data["region"], "file", base)
    data["stops"] = _resolve(data.get("stops", {}), "csv", base)
    csv_path = data["stops"].get("csv")
    if isinstance(csv_path, Path):
        data["stops"]["extra"] = read_stop_csv(csv_path)
    try:
        return ServiceConfig.model_validate(data)
    except ValidationError as exc:
        raise InputError("\n".join(f"{origin}: {line}" for line in describe(exc))) from None


def _default_region(osm_source: str | None) -> dict[str, Any]:
    return {"file": osm_source} if osm_source else {"bbox": list(DEFAULT_BBOX)}


def _resolve(section: object, key: str, base: Path) -> Any:
    if not isinstance(section, dict) or not isinstance(section.get(key), str):
        return section
    return {**section, key: base / Path(section[key]).expanduser()}


def describe(exc: ValidationError) -> list[str]:
    """One ``path.to[2].field: message`` line per problem.

    A list that is "too short" only because some of its items were invalid (one vehicle
    with ``seats = 0`` leaves no valid vehicle) is not a problem of its own."""
    errors = exc.errors()
    inner = [tuple(e["loc"]) for e in errors]

    def follows(e: Any) -> bool:
        loc = tuple(e["loc"])
        return e["type"] == "too_short" and any(
            len(o) > len(loc) and o[: len(loc)] == loc for o in inner
        )

    return [f"{_location(e['loc'])}: {_message(e)}" for e in errors if not follows(e)]


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.lstrip(".") or "(top level)"


def _message(error: Any) -> str:
    ctx = error.get("ctx", {})
    kind = error["type"]
    bounds = {"greater_than_equal": ("≥", "ge"), "greater_than": (">", "gt"),
              "less_than_equal": ("≤", "le"), "less_than": ("<", "lt")}  # fmt: skip
    if kind in bounds:
        sign, key = bounds[kind]
        return f"must be {sign} {ctx[key]}"
    if kind == "missing":
        return "required"
    if kind == "extra_forbidden":
        return "unknown field"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def engine_params(config: ServiceConfig) -> EngineParams:
    """The engine's parameters from the service definition's rules."""
    from dispatch.engine.params import EngineParams, ServiceTimes
    from dispatch.solver.params import ObjectiveParams, RideTimeRule

    rules, times, reopt = config.booking, config.service_times, config.reoptimisation
    return EngineParams(
        offer_hold_s=rules.offer_hold_s,
        max_wait_s=rules.max_wait_min * 60,
        pickup_window_s=rules.pickup_window_min * 60,
        promise_policy=rules.promise,
        quote_reassign=rules.reassign_for_offers,
        objective=ObjectiveParams(
            drive_weight=config.objective.drive_weight,
            excess_ride_weight=config.objective.excess_ride_weight,
            wait_weight=config.objective.wait_weight,
        ),
        no_show_wait_s=rules.no_show_wait_s,
        reoptimise_debounce_s=reopt.debounce_s,
        reoptimise_period_s=reopt.period_s,
        solver_time_limit_s=reopt.time_limit_s,
        ride_time=RideTimeRule(config.ride_time.factor, config.ride_time.extra_min * 60),
        service=ServiceTimes(times.boarding_s, times.alighting_s, times.wheelchair_extra_s),
    )
