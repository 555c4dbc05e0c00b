"""Extra virtual stops from a planner's CSV file (``id,name,lat,lon``), checked line by line."""

from __future__ import annotations

import csv
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dispatch.errors import InputError

COLUMNS = ("id", "name", "lat", "lon")


class CsvStop(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


def read_stop_csv(path: Path) -> tuple[CsvStop, ...]:
    """Every stop of the file, or an ``InputError`` listing each bad line."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
            header = tuple(rows[0].keys()) if rows else _header(path)
    except OSError as exc:
        raise InputError(f"{path}: cannot read the stop file: {exc.strerror}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path}: not a CSV file: {exc}") from None
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InputError(f"{path}: missing columns {', '.join(missing)} (need id,name,lat,lon)")
    return _validate_rows(path, rows)


def _header(path: Path) -> tuple[str, ...]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return tuple(next(csv.reader(handle), []))


def _validate_rows(path: Path, rows: list[dict[str, str | None]]) -> tuple[CsvStop, ...]:
    stops: list[CsvStop] = []
    problems: list[str] = []
    seen: set[str] = set()
    for line, row in enumerate(rows, start=2):
        try:
            stop = CsvStop.model_validate({c: (row.get(c) or "").strip() for c in COLUMNS})
        except ValidationError as exc:
            problems += [f"{path}:{line}: {e['loc'][0]}: {_short(e['msg'])}" for e in exc.errors()]
            continue
        if stop.id in seen:
            problems.append(f"{path}:{line}: id: {stop.id!r} is used twice")
        seen.add(stop.id)
        stops.append(stop)
    if problems:
        raise InputError("\n".join(problems))
    return tuple(stops)


def _short(message: str) -> str:
    return (
        message.replace("Input should be greater than or equal to", "must be ≥")
        .replace("Input should be less than or equal to", "must be ≤")
        .replace("Input should be a valid number, unable to parse string as a number",
                 "not a number")
        .replace("String should have at least 1 character", "empty")
    )  # fmt: skip
