"""Process settings from the environment (``DISPATCH_*``), created once at start-up.

Nothing here runs at import time: the entry point calls ``Settings()`` (or
``load_settings()``) and hands the object on. The service definition (fleet, hours,
rules) lives in a TOML file, see ``dispatch.config``; these settings say where things
are and how the process runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from dispatch.errors import InputError

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
LogFormat = Literal["text", "json"]


def default_database_url() -> str:
    """A SQLite file ``data/dispatch.sqlite`` under the current directory."""
    return f"sqlite:///{Path.cwd() / 'data' / 'dispatch.sqlite'}"


def default_osm_cache() -> Path:
    return Path.cwd() / "osm_cache"


class Settings(BaseSettings):
    """Where the database, the map and the service definition are; how to serve."""

    model_config = SettingsConfigDict(
        env_prefix="DISPATCH_", env_file=None, extra="ignore", frozen=True
    )

    database_url: str = Field(default_factory=default_database_url)
    osm_source: str | None = None
    osm_cache: Path = Field(default_factory=default_osm_cache)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: LogLevel = "INFO"
    #: One log line per HTTP request (uvicorn's access log); off, so the log tells a story.
    access_log: bool = False
    #: ``text`` (for people) or ``json`` (one JSON object per line, for a log collector).
    log_format: LogFormat = "text"
    #: Redis (``redis://HOST:PORT/DB``) for the production shape; ``/readyz`` checks it when set.
    redis_url: str | None = None
    #: ``dispatch engine``: seconds a leader may go without renewing its lease before a
    #: standby replaces it (frozen or cut off from the database).
    leader_lease_s: float = Field(default=10.0, gt=1.0, le=600.0, allow_inf_nan=False)
    config_file: Path | None = None
    admin_token: SecretStr | None = None
    #: Comma-separated in the environment: ``DISPATCH_AGENT_TOKENS=tok1,tok2``.
    agent_tokens: Annotated[tuple[SecretStr, ...], NoDecode] = ()

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("agent_tokens", mode="before")
    @classmethod
    def _split_tokens(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(t.strip() for t in value.split(",") if t.strip())
        return value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_format(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("osm_source", "redis_url", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value


def load_settings() -> Settings:
    """Read the settings from the environment; call once at start-up.

    A bad value ends in one line naming the variable (``DISPATCH_PORT: ...``), not in a
    validation traceback.
    """
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "DISPATCH_" + "_".join(str(part) for part in first["loc"]).upper()
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise InputError(f"{name}: {first['msg']}{more}") from None
