"""Driver websocket and REST API, and the driver web client."""
