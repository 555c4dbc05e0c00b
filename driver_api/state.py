"""The driver API's state on the FastAPI app, created on first use.

The runtime is built in the app's lifespan (it loads the map), so the hub that needs
it is created lazily, on the serving event loop, by the first request.
"""

from __future__ import annotations

from typing import Any

from dispatch.errors import UnavailableError
from driver_api.devices import StreamParams
from driver_api.hub import DriverHub


def get_hub(app: Any) -> DriverHub:
    hub = getattr(app.state, "driver_hub", None)
    if isinstance(hub, DriverHub):
        return hub
    runtime = getattr(app.state, "runtime", None)
    if runtime is None:
        raise UnavailableError("the service is still starting; please try again shortly")
    params = getattr(app.state, "driver_params", None) or StreamParams()
    runtime.publisher.queue_size = params.queue_size
    hub = DriverHub(runtime, params)
    hub.start()
    app.state.driver_hub = hub
    return hub
