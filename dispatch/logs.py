"""How the process logs: text lines for people, or one JSON object per line for a collector.

``DISPATCH_LOG_FORMAT=json`` switches every command (the service, replays, tools) to JSON
lines with ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message`` and, for an
exception, ``exception`` (the traceback as text).
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime

from dispatch.errors import InputError

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
FORMATS = ("text", "json")


class JsonFormatter(logging.Formatter):
    """One JSON object per record."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def log_format() -> str:
    """The format ``DISPATCH_LOG_FORMAT`` asks for (``text`` when unset)."""
    value = os.environ.get("DISPATCH_LOG_FORMAT", "text").strip().lower() or "text"
    if value not in FORMATS:
        raise InputError(f"DISPATCH_LOG_FORMAT: expected 'text' or 'json', not {value!r}")
    return value


def configure_logging(level: int = logging.INFO) -> None:
    """Log to stderr in the format the environment asks for."""
    handler = logging.StreamHandler()
    if log_format() == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # Alembic announces each of its plugins at INFO as it is imported: not news to anyone.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


class _ConnectionLines(logging.Filter):
    """Drops the server's line per WebSocket connection (accepted, open, closed,
    rejected): lines per request, which belong to the access log."""

    MARKERS = ('"WebSocket ', "connection open", "connection closed", "connection rejected")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(marker in message for marker in self.MARKERS)


def log_through_root(level: str, access_log: bool = False) -> None:
    """In a process uvicorn spawned (an API worker), its loggers are not configured (their
    configuration was made in the parent): the service's format, level and access lines
    (only with ``access_log``, as in ``dispatch serve``) then come from the root logger,
    set up here like every other process's."""
    configure_logging(logging.getLevelName(level.upper()))
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
    logging.getLogger("uvicorn.access").disabled = not access_log


def quiet_connection_lines(access_log: bool) -> None:
    """Without the access log (``DISPATCH_ACCESS_LOG``), no line per driver or rider
    socket either: uvicorn writes those to its error log, whatever the access log says."""
    logger = logging.getLogger("uvicorn.error")
    for old in [f for f in logger.filters if isinstance(f, _ConnectionLines)]:
        logger.removeFilter(old)
    if not access_log:
        logger.addFilter(_ConnectionLines())
