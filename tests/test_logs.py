"""Without the access log there is no line per WebSocket connection either (uvicorn writes
those to its error log); with it, they stay. The filter must survive uvicorn configuring
its loggers (``dictConfig`` with its default configuration), as ``uvicorn.run`` does."""

from __future__ import annotations

import logging
import logging.config

import uvicorn

from dispatch.logs import quiet_connection_lines


class Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def _log_like_uvicorn(access_log: bool) -> list[str]:
    quiet_connection_lines(access_log)
    logging.config.dictConfig(uvicorn.config.LOGGING_CONFIG)
    logger = logging.getLogger("uvicorn.error")
    keep = Keep()
    logger.addHandler(keep)
    try:
        logger.info('%s - "WebSocket %s" [accepted]', "127.0.0.1:5000", "/v1/driver/stream")
        logger.info("connection open")
        logger.info("connection closed")
        logger.info("Uvicorn running on %s", "http://127.0.0.1:8000")
    finally:
        logger.removeHandler(keep)
        quiet_connection_lines(True)
    return keep.lines


def test_no_line_per_socket_without_the_access_log() -> None:
    assert _log_like_uvicorn(access_log=False) == ["Uvicorn running on http://127.0.0.1:8000"]


def test_lines_per_socket_with_the_access_log() -> None:
    assert len(_log_like_uvicorn(access_log=True)) == 4
