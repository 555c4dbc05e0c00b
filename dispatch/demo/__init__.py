"""The demo: simulated buses and riders that use the service like real clients do.

``dispatch serve --demo`` starts them next to the service. The buses are websocket
clients of the driver API and the riders are HTTP clients of the rider API; nothing
here reaches into the service's objects (and nothing imports FastAPI).
"""
