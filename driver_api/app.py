"""Put the driver API on the service's FastAPI app (called by the composition root)."""

from __future__ import annotations

from fastapi import FastAPI

from driver_api import web
from driver_api.devices import StreamParams


def install(app: FastAPI, params: StreamParams | None = None) -> None:
    """The stream, the device REST routes, the driver page and its static files."""
    app.state.driver_params = params or StreamParams()
    web.install(app)
