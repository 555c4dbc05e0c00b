"""Which service areas one deployment serves, and where each area's data lives.

``--config FILE`` is either one service definition (one area), or a deployment file
that lists several, each with its own definition (map, stops, fleet, rules)::

    # deployment.toml
    [[areas]]
    config = "north-bayreuth.toml"   # relative to this file

    [[areas]]
    config = "krems.toml"

Each area is known by the ``area`` of its definition (made from its ``name`` when not
given). One PostgreSQL database holds all areas, each in a schema of its own
(``area_<name>``), so that the same bus name in two areas never meets.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from dispatch.config import ServiceConfig, load_service_config
from dispatch.errors import InputError
from dispatch.settings import Settings


@dataclass(frozen=True)
class Deployment:
    """The areas, in the order of the file (the first is the default area)."""

    areas: tuple[ServiceConfig, ...]

    def area(self, name: str | None) -> ServiceConfig:
        """The area called ``name`` (``None``: the only one; several need a name)."""
        if name is None:
            if len(self.areas) > 1:
                names = ", ".join(a.area for a in self.areas)
                raise InputError(f"this deployment has several areas ({names}): choose --area")
            return self.areas[0]
        for a in self.areas:
            if a.area == name:
                return a
        names = ", ".join(a.area for a in self.areas)
        raise InputError(f"no service area {name!r} in this deployment (it has: {names})")


def load_deployment(path: Path | None, settings: Settings) -> Deployment:
    """The deployment at ``path`` (a deployment file or one service definition)."""
    if path is not None:
        data = _read(path)
        if "areas" in data:
            return _areas(path, data, settings)
        if isinstance(data.get("area"), list):
            raise InputError(f"{path}: a deployment lists its areas as [[areas]], not [[area]]")
    return Deployment((load_service_config(path, osm_source=settings.osm_source),))


def _read(path: Path) -> dict[str, object]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None


def _areas(path: Path, data: dict[str, object], settings: Settings) -> Deployment:
    entries = data["areas"]
    if set(data) != {"areas"} or not isinstance(entries, list) or not entries:
        raise InputError(f"{path}: a deployment file holds only [[areas]] entries")
    configs = []
    for k, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or set(entry) != {"config"}:
            raise InputError(f'{path}: area {k}: give exactly `config = "FILE"`')
        file = path.parent / str(entry["config"])
        configs.append(load_service_config(file, osm_source=settings.osm_source))
    names = [c.area for c in configs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InputError(f"{path}: area names must differ; used twice: {', '.join(twice)}")
    return Deployment(tuple(configs))


def area_database_url(url: str, area: str) -> str:
    """The database URL of one area: PostgreSQL with the area's own schema."""
    if not url.startswith(("postgresql", "postgres:")):
        raise InputError(
            "the production shape needs PostgreSQL (DISPATCH_DATABASE_URL=postgresql://…); "
            "SQLite serves one process: use `dispatch serve`"
        )
    schema = area_schema(area)
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={quote(f'-csearch_path={schema}')}"


def area_schema(area: str) -> str:
    return "area_" + area.replace("-", "_")
