"""Driver stream under load: 50 connected buses, plan changes, 1,000 positions per second.

Usage: python -m benchmarks.bench_driver_stream [--osm FILE] [--vehicles 50] [--seconds 30]
       [--positions 1000] [--slow 3]

The service runs in this process (engine, solver process, uvicorn on a free port); the
drivers run in a child process as real websocket clients: one connection per bus, each
sending its share of ``--positions`` position messages per second, plus ``--slow``
extra connections that say hello and then never read. Bookings keep arriving (one per
second, through the booking service) and the fleet is re-optimised every few seconds,
so plans change both one bus at a time (a booking) and many at once (an adoption).

Prints, for every plan change, the time from the engine handing the new plan versions to
the sink (the moment of adoption) to the client receiving the plan message: p50, p99,
max, split by booking and adoption; the position replies' latency in the first and the
last third of the run (no growth = keeping up); and what happened to the slow clients.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing as mp
import os
import random
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.bench_insertion import percentile

DEPOTS = [(50.0185111, 11.5017849), (50.0276079, 11.5689206), (49.9860761, 11.5078916),
          (50.0321097, 11.527626)]  # fmt: skip


def service_toml(osm: str, vehicles: int) -> str:
    lines = [
        'name = "Driver stream benchmark"',
        f'[region]\nfile = "{osm}"',
        '[hours]\ndaily = ["00:00", "23:59"]',
        "[reoptimisation]\ndebounce_s = 2\nperiod_s = 5\ntime_limit_s = 2.0",
    ]
    for k in range(vehicles):
        lat, lon = DEPOTS[k % len(DEPOTS)]
        lines += [
            f'[[fleet.vehicles]]\nid = "bus-{k}"\nseats = 8\nwheelchair_places = 1',
            f'depot = {{ lat = {lat}, lon = {lon} }}\ndevice_token = "bench-device-token-{k:04d}"',
            f'[[fleet.shifts]]\nvehicle = "bus-{k}"\nweekdays = "daily"\nstart = "00:00"\nend = "23:59"',
        ]
    return "\n".join(lines) + "\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---- the drivers (child process) -----------------------------------------------------------


async def drivers(
    url: str, vehicles: int, seconds: float, rate: float, slow: int
) -> dict[str, Any]:
    import websockets

    receipts: list[tuple[str, int, float]] = []
    replies: list[tuple[float, float]] = []  # (sent at, latency)
    slow_closed: list[float] = []
    start = time.time()

    async def driver(k: int) -> None:
        sent: dict[str, float] = {}
        async with websockets.connect(f"{url}/v1/vehicles/bus-{k}/stream", max_size=None) as ws:
            await ws.send(json.dumps({"type": "hello", "token": f"bench-device-token-{k:04d}"}))

            async def read() -> None:
                async for text in ws:
                    now = time.time()
                    m = json.loads(text)
                    if m["type"] == "plan":
                        receipts.append((m["shift_id"], m["version"], now))
                    elif m["type"] == "ok" and m["id"] in sent:
                        t0 = sent.pop(m["id"])
                        replies.append((t0 - start, now - t0))

            reader = asyncio.create_task(read())
            per_s = rate / vehicles
            lat, lon = DEPOTS[k % len(DEPOTS)]
            n = 0
            while time.time() - start < seconds:
                n += 1
                mid = f"p{k}-{n}"
                sent[mid] = time.time()
                jitter = random.uniform(-0.002, 0.002)
                await ws.send(
                    json.dumps({"type": "position", "id": mid, "lat": lat + jitter, "lon": lon})
                )
                await asyncio.sleep(max(0.0, n / per_s - (time.time() - start)))
            await asyncio.sleep(1.0)
            reader.cancel()

    async def never_reads(k: int) -> None:
        try:
            async with websockets.connect(
                f"{url}/v1/vehicles/bus-{k}/stream", max_queue=1, max_size=None
            ) as ws:
                ws.transport.pause_reading()  # stop reading from the socket
                await ws.send(json.dumps({"type": "hello", "token": f"bench-device-token-{k:04d}"}))
                remaining = seconds + 5 - (time.time() - start)
                try:
                    await asyncio.wait_for(ws.wait_closed(), remaining)
                except TimeoutError:
                    return  # still connected at the end
                slow_closed.append(time.time() - start)
        except websockets.ConnectionClosed:
            slow_closed.append(time.time() - start)

    tasks = [driver(k) for k in range(vehicles)] + [never_reads(k) for k in range(slow)]
    await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), seconds + 30)
    return {"receipts": receipts, "replies": replies, "slow_closed": slow_closed}


def driver_process(
    url: str, vehicles: int, seconds: float, rate: float, slow: int, out: Any
) -> None:
    out.put(asyncio.run(drivers(url, vehicles, seconds, rate, slow)))


# ---- the service (this process) -------------------------------------------------------------


def start_service(tmp: Path, osm: str, vehicles: int) -> tuple[Any, Any, list[Any], str]:
    import uvicorn

    from dispatch.config import load_service_config
    from dispatch.engine.events import PlanAdopted, PlanChanged
    from dispatch.service.runtime import build_runtime
    from dispatch.settings import Settings
    from driver_api.app import install
    from rider_api.app import create_app

    (tmp / "service.toml").write_text(service_toml(osm, vehicles))
    settings = Settings(database_url=f"sqlite:///{tmp / 'bench.sqlite'}", osm_source=osm,
                        osm_cache=tmp / "cache", log_level="WARNING")  # fmt: skip
    config = load_service_config(tmp / "service.toml", osm_source=osm)
    runtime = build_runtime(settings, config)
    changes: list[Any] = []  # (time, [(vehicle, version)], adoption?)
    sink = runtime.runner.sink

    def timed_sink(commands: list[Any], persist: object | None = None) -> None:
        now = time.time()
        changed = [(c.vehicle_id, c.version) for c in commands if isinstance(c, PlanChanged)]
        if changed:
            adopted = [c for c in commands if isinstance(c, PlanAdopted)]
            kind = "booking" if not adopted else "fan-out" if adopted[0].token == 0 else "adoption"
            changes.append((now, changed, kind))
        sink(commands, persist)

    runtime.runner.sink = timed_sink
    app = create_app(lambda: runtime)
    install(app)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, runtime, changes, f"ws://127.0.0.1:{port}"


def book_some(runtime: Any, n: int, rng: random.Random) -> int:
    from dispatch.errors import DispatchError
    from dispatch.service.booking import PlaceInput, QuoteInput, RiderContact

    stops = [s for s in runtime.stops.stops if s.source == "place"] or runtime.stops.stops
    booked = 0
    for _ in range(n):
        a, b = rng.sample(stops, 2)
        when = runtime.clock() + rng.randint(20, 180) * 60
        try:
            quote = runtime.booking.quote(
                QuoteInput(PlaceInput(a.id), PlaceInput(b.id), depart_after=when)
            )
            if quote.offers:
                body = {"offer_id": quote.offers[0].offer_id}
                runtime.booking.book(body["offer_id"], RiderContact("Bench"), None, body)
                booked += 1
        except DispatchError:
            continue
    return booked


def fan_out(runtime: Any, bump: int, changes: list[Any]) -> int:
    """Every bus gets a new plan version at once, through the real publishing thread (what
    an adoption does). The solver here mostly cannot finish 50 buses within its deadline,
    so real adoptions are rare; this sends the same fan-out on purpose."""
    from dispatch.engine.events import PlanChanged

    commands: list[Any] = []
    for vehicle in list(runtime.runner.engine.vehicles.values()):
        route = vehicle.route
        if route is None or not route.stops:
            continue
        nodes = tuple(runtime.runner.engine.table.nodes[s.location] for s in route.stops)
        commands.append(PlanChanged(vehicle.vehicle_id, vehicle.version + bump, route, nodes))
    # Timed like a real adoption, published without storing (the engine never made them).
    now = time.time()
    changes.append((now, [(c.vehicle_id, c.version) for c in commands], "fan-out"))
    runtime.sink.publish_only(commands)
    return 1


def flood_slow_vehicles(runtime: Any, slow: int, versions: int = 100) -> None:
    """Many plan versions for the vehicles with a client that never reads.

    Their normal clients take them (skipping superseded versions when they fall
    behind); the clients that never read keep only the newest versions queued and are
    disconnected once their socket stops taking messages (the send time limit).
    """
    from dispatch.engine.adapters.publisher import PublishedPlan

    before, shifts, latest = [], [], []
    for k in range(slow):
        shift = next((v for v in runtime.runner.engine.vehicles if v.startswith(f"bus-{k}@")), None)
        plan = runtime.publisher.latest(shift) if shift else None
        if shift is None or plan is None:
            continue
        shifts.append(shift)
        latest.append(plan)
        before.append(runtime.publisher.subscriber_count(shift))
    for n in range(1, versions + 1):  # ten plan versions per second to each of them
        for shift, plan in zip(shifts, latest, strict=True):
            v = plan.version + n
            runtime.publisher.publish(PublishedPlan(shift, v, {**plan.payload, "version": v}))
        time.sleep(0.1)
    time.sleep(1.0)
    after = [runtime.publisher.subscriber_count(s) for s in shifts]
    print(f"{versions} plan versions to each of {len(shifts)} buses with a client that never reads: "
          f"subscribers per bus before {before}, after {after}")  # fmt: skip


def report(changes: list[Any], result: dict[str, Any], seconds: float) -> None:
    received = {(vid, version): t for vid, version, t in result["receipts"]}
    labels = {"booking": "booking (1 bus)", "fan-out": "fan-out (every bus with stops)",
              "adoption": "re-optimisation adopted"}  # fmt: skip
    # a fan-out's high version numbers hide later adoptions' versions: count those before it
    first_fan_out = min((t for t, _, k in changes if k == "fan-out"), default=float("inf"))
    for kind, label in labels.items():
        lat, missed, sizes = [], 0, []
        for t, changed, k in changes:
            if k != kind or (k == "adoption" and t > first_fan_out):
                continue
            sizes.append(len(changed))
            for key in changed:
                if key in received:
                    lat.append((received[key] - t) * 1000)
                else:
                    missed += 1
        if lat:
            print(f"plan change → client, {label}: {len(sizes)} events changing {statistics.mean(sizes):.1f} "
                  f"buses on average; {len(lat)} deliveries, p50 {statistics.median(lat):.1f} ms, "
                  f"p99 {percentile(lat, 0.99):.1f} ms, max {max(lat):.1f} ms, not received {missed}")  # fmt: skip
    replies = [(t, d) for t, d in result["replies"] if t < seconds]
    rate = len(replies) / seconds
    print(f"position messages answered: {len(replies)} ({rate:.0f} per s)")
    warm = 3.0  # connecting and the first plans
    third = (seconds - warm) / 3
    for name, lo, hi in (
        ("first third", warm, warm + third),
        ("last third", seconds - third, seconds),
    ):
        lat = [d * 1000 for t, d in replies if lo <= t < hi]
        if lat:
            print(
                f"  position reply latency, {name}: p50 {statistics.median(lat):.1f} ms, p99 {percentile(lat, 0.99):.1f} ms"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--osm")
    parser.add_argument("--vehicles", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--positions", type=float, default=1000.0)
    parser.add_argument("--slow", type=int, default=3)
    parser.add_argument("--bookings", type=int, default=150)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    osm = args.osm or os.environ.get("DISPATCH_OSM_SOURCE")
    if not osm:
        raise SystemExit("give --osm FILE or set DISPATCH_OSM_SOURCE")
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        server, runtime, changes, url = start_service(Path(tmp), osm, args.vehicles)
        print(
            f"{args.vehicles} buses; {book_some(runtime, args.bookings, rng)} bookings before the clients connect"
        )
        out: Any = mp.get_context("spawn").Queue()
        child = mp.get_context("spawn").Process(
            target=driver_process,
            args=(url, args.vehicles, args.seconds + 15, args.positions, args.slow, out),
        )
        child.start()
        time.sleep(3.0)  # connections and first plans
        changes.clear()
        deadline = time.time() + args.seconds - 5
        bookings_until = time.time() + (args.seconds - 5) / 2
        booked = fan_outs = 0
        while time.time() < bookings_until:
            booked += book_some(runtime, 1, rng)
            time.sleep(1.0)
        while time.time() < deadline:
            fan_outs += fan_out(runtime, 1000 * (fan_outs + 1), changes)
            time.sleep(1.0)
        print(f"{booked} bookings, then {fan_outs} fan-outs while measuring")
        flood_slow_vehicles(runtime, args.slow)
        result = out.get(timeout=args.seconds + 90)
        child.join(timeout=30)
        report(changes, result, args.seconds)
        server.should_exit = True
        runtime.stop()


if __name__ == "__main__":
    main()
