"""Without the access log there is no line per WebSocket connection either (uvicorn writes
those to its error log); with it, they stay. The filter must survive uvicorn configuring
its loggers (``dictConfig`` with its default configuration), as ``uvicorn.run`` does."""

from __future__ import annotations

import logging
import logging.config

import uvicorn

from dispatch.logs import log_through_root, quiet_connection_lines


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


def _worker_access_lines(access_log: bool) -> list[str]:
    """What an API worker's root logger gets from uvicorn's access logger."""
    root, keep = logging.getLogger(), Keep()
    saved = (root.handlers[:], root.level)
    try:
        log_through_root("INFO", access_log)
        root.addHandler(keep)
        logging.getLogger("uvicorn.access").info('127.0.0.1:5000 - "GET /v1/health HTTP/1.1" 200')
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        logging.getLogger("uvicorn.access").disabled = False
    return keep.lines


def test_api_workers_write_access_lines_only_with_the_access_log() -> None:
    assert _worker_access_lines(access_log=False) == []
    assert _worker_access_lines(access_log=True) == [
        '127.0.0.1:5000 - "GET /v1/health HTTP/1.1" 200'
    ]
