"""Booking service under load: 30 buses, 300 open bookings, 20 concurrent clients over HTTP.

Usage: python -m benchmarks.bench_api [--osm FILE] [--seconds 20] [--clients 20] [--rate R]
       [--shape all-in-one|production|both] [--workers 2 4]
Starts a real service — the all-in-one ``dispatch serve`` (SQLite file in a temporary
folder, or PostgreSQL with ``--database postgresql``), and/or the production shape
(``dispatch engine`` + ``dispatch api --workers N`` on PostgreSQL
(DISPATCH_TEST_DATABASE_URL) and Redis (DISPATCH_REDIS_URL, default the local one)) —
books 300 trips for tomorrow, then runs CLIENTS concurrent riders against each, one
after the other, in the same run. Without ``--rate`` they quote and book as fast as
they can (closed loop: the saturation throughput; latency is then mostly queueing, by
Little's law ≈ clients / throughput). With ``--rate R`` the riders together start R
quote-and-book attempts per second at random (Poisson) instants, the way real riders
arrive (open loop: the latency at that load). Prints quote latency (p50/p99, also split
by whether a re-optimisation was running), bookings per second, refusals (no longer
feasible) and errors (anything else).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from benchmarks.bench_insertion import percentile
from benchmarks.live_fleet import network_from_env
from tests.service.conftest import stop_server

TOMORROW = (date.today() + timedelta(days=1)).isoformat()


def service_toml(depots: list[tuple[float, float]], vehicles: int) -> str:
    lines = [
        'name = "Load test"',
        "[hours]",
        'daily = ["05:30", "23:00"]',
        "[reoptimisation]",
        "debounce_s = 5",
        "period_s = 30",
        "time_limit_s = 2.0",
    ]
    for k in range(vehicles):
        lat, lon = depots[k % len(depots)]
        lines += [
            "[[fleet.vehicles]]",
            f'id = "bus-{k}"',
            "seats = 8",
            "wheelchair_places = 1",
            f"depot = {{ lat = {lat}, lon = {lon} }}",
        ]
    for k in range(vehicles):
        lines += [
            "[[fleet.shifts]]",
            f'vehicle = "bus-{k}"',
            'weekdays = "daily"',
            'start = "05:30"',
            'end = "23:00"',
        ]
    return "\n".join(lines) + "\n"


def trip(rng: random.Random, stops: list[str]) -> dict[str, Any]:
    a, b = rng.sample(stops, 2)
    hour, minute = rng.randint(6, 20), rng.choice((0, 15, 30, 45))
    return {
        "origin": {"stop_id": a},
        "destination": {"stop_id": b},
        "depart_after": f"{TOMORROW}T{hour:02d}:{minute:02d}:00",
        "passengers": rng.choice((1, 1, 2)),
    }


async def quote_and_book(
    client: httpx.AsyncClient, body: dict[str, Any], stats: dict[str, list[Any]], key: str
) -> None:
    t = time.perf_counter()
    response = await client.post("/v1/quotes", json=body)
    stats["quotes"].append((time.perf_counter() - t, t))
    if response.status_code == 422 and "same place" in response.text:
        stats["no_offer"].append(1)  # two stops on the same road node: not a real trip
        return
    if response.status_code != 200:
        stats["errors"].append(f"quote {response.status_code}: {response.text[:100]}")
        return
    offers = response.json()["offers"]
    if not offers:
        stats["no_offer"].append(1)
        return
    t = time.perf_counter()
    booked = await client.post(
        "/v1/bookings",
        headers={"Idempotency-Key": key},
        json={"offer_id": offers[0]["offer_id"], "rider": {"name": "Load"}},
    )
    stats["bookings"].append(time.perf_counter() - t)
    if booked.status_code == 409:
        stats["refused"].append(1)
    elif booked.status_code != 201:
        stats["errors"].append(f"book {booked.status_code}: {booked.text[:100]}")
    else:
        stats["booked"].append(time.perf_counter())


async def monitor(
    client: httpx.AsyncClient, until: float, solving: list[tuple[float, bool]]
) -> None:
    while time.perf_counter() < until:
        state = (await client.get("/v1/health")).json()
        solving.append((time.perf_counter(), bool(state["solving"])))
        await asyncio.sleep(0.05)


async def load(
    url: str, stops: list[str], clients: int, seconds: float, seed: int, rate: float | None
) -> dict[str, Any]:
    stats: dict[str, list[Any]] = {
        k: [] for k in ("quotes", "bookings", "booked", "refused", "no_offer", "errors")
    }
    solving: list[tuple[float, bool]] = []
    limits = httpx.Limits(max_connections=clients + 2)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        start = time.perf_counter()
        until = start + seconds

        async def rider(k: int) -> None:
            rng = random.Random(seed * 1000 + k)
            n = 0
            next_at = time.perf_counter()
            while time.perf_counter() < until:
                if rate:  # each rider is a Poisson source of rate / clients attempts per second
                    next_at += rng.expovariate(rate / clients)
                    await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
                    if time.perf_counter() >= until:
                        break
                n += 1
                await quote_and_book(client, trip(rng, stops), stats, f"load-{k}-{n}")

        await asyncio.gather(monitor(client, until, solving), *(rider(k) for k in range(clients)))
    stats["solving"] = solving
    stats["elapsed"] = [time.perf_counter() - start]
    return stats


def was_solving(at: float, solving: list[tuple[float, bool]]) -> bool:
    before = [s for t, s in solving if t <= at]
    return before[-1] if before else False


def report(stats: dict[str, list[Any]]) -> None:
    quotes = [q * 1000 for q, _ in stats["quotes"]]
    busy = [q * 1000 for q, at in stats["quotes"] if was_solving(at, stats["solving"])]
    idle = [q * 1000 for q, at in stats["quotes"] if not was_solving(at, stats["solving"])]
    elapsed = stats["elapsed"][0]
    print(
        f"quotes: {len(quotes)}  p50 {statistics.median(quotes):.1f} ms  p99 {percentile(quotes, 0.99):.1f} ms"
    )
    for name, values in (("while re-optimising", busy), ("while not re-optimising", idle)):
        if values:
            print(
                f"  {name:24s}: {len(values):5d} quotes, p50 {statistics.median(values):.1f} ms, p99 {percentile(values, 0.99):.1f} ms"
            )
    print(
        f"bookings confirmed: {len(stats['booked'])} in {elapsed:.1f} s = {len(stats['booked']) / elapsed:.1f} per second"
    )
    if stats["bookings"]:
        b = [x * 1000 for x in stats["bookings"]]
        print(
            f"booking latency: p50 {statistics.median(b):.1f} ms  p99 {percentile(b, 0.99):.1f} ms"
        )
    print(
        f"no offer: {len(stats['no_offer'])}, refused at booking (taken meanwhile): {len(stats['refused'])}, errors: {len(stats['errors'])}"
    )
    for e in stats["errors"][:5]:
        print("  ", e)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--osm")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--vehicles", type=int, default=30)
    parser.add_argument("--open-bookings", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--shape", choices=("all-in-one", "production", "both"), default="all-in-one"
    )
    parser.add_argument(
        "--workers",
        type=int,
        nargs="+",
        default=[2],
        help="API worker processes of the production shape (several: one run each)",
    )
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="the all-in-one's database (the production shape always uses PostgreSQL)",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="quote-and-book attempts per second, all clients together (default: closed loop)",
    )
    args = parser.parse_args()
    needs_postgresql = args.database == "postgresql" or args.shape != "all-in-one"
    if needs_postgresql and not os.environ.get("DISPATCH_TEST_DATABASE_URL"):
        raise SystemExit(
            "set DISPATCH_TEST_DATABASE_URL to a PostgreSQL database the benchmark may use "
            "(e.g. postgresql://postgres@127.0.0.1:5432/test): the production shape and "
            "--database postgresql run on it"
        )
    network = network_from_env(args.osm)
    os.environ["DISPATCH_TEST_OSM"] = str(
        Path(args.osm or os.environ["DISPATCH_OSM_SOURCE"]).resolve()
    )
    depots = [(p.lat, p.lon) for p in network.places if p.kind == "village"]
    if args.shape in ("all-in-one", "both"):
        print(f"== all-in-one (dispatch serve, {args.database})")
        with tempfile.TemporaryDirectory() as tmp_name:
            run_all_in_one(Path(tmp_name), args, depots)
    if args.shape in ("production", "both"):
        for workers in args.workers:
            print(f"== production shape (dispatch engine + dispatch api --workers {workers})")
            with tempfile.TemporaryDirectory() as tmp_name:
                run_production(Path(tmp_name), args, depots, workers)


def run_all_in_one(tmp: Path, args: argparse.Namespace, depots: list[tuple[float, float]]) -> None:
    from tests.databases import postgresql_schema
    from tests.service.launch import start_service

    config = tmp / "service.toml"
    config.write_text(service_toml(depots, args.vehicles))
    with contextlib.ExitStack() as stack:
        url = f"sqlite:///{tmp / 'load.sqlite'}"
        if args.database == "postgresql":
            url = stack.enter_context(postgresql_schema())
        server = start_service(tmp, url, config, tmp / "cache")
        try:
            measure(server.url, args, server.log, {"service": server.process.pid})
        finally:
            stop_server(server)
    print_slow_events(server.log)


def run_production(
    tmp: Path, args: argparse.Namespace, depots: list[tuple[float, float]], workers: int
) -> None:
    from tests.cluster.shape import Shape, wait_ready

    database = os.environ.get("DISPATCH_TEST_DATABASE_URL")
    if not database:
        raise SystemExit("the production shape needs DISPATCH_TEST_DATABASE_URL (PostgreSQL)")
    redis_url = os.environ.get("DISPATCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    area = f"load-{uuid.uuid4().hex[:6]}"
    (tmp / "service.toml").write_text(
        service_toml(depots, args.vehicles).replace(
            'name = "Load test"', f'name = "Load test"\narea = "{area}"'
        )
    )
    env = {
        **os.environ,
        "DISPATCH_DATABASE_URL": database,
        "DISPATCH_REDIS_URL": redis_url,
        "DISPATCH_OSM_SOURCE": os.environ["DISPATCH_TEST_OSM"],
        "DISPATCH_OSM_CACHE": str(tmp / "cache"),
        "DISPATCH_LOG_LEVEL": "WARNING",
    }
    env.pop("DISPATCH_CONFIG_FILE", None)
    shape = Shape(tmp, tmp / "service.toml", [area], env)
    try:
        engine = shape.engine("engine")
        api = shape.api("api", workers=workers, timeout_s=180)
        wait_ready(api, 60)
        pids = {"engine": engine.process.pid, "API": api.process.pid}
        measure(api.url, args, engine.log, pids)
    finally:
        shape.stop_all()
        shape.drop()
    print_slow_events(engine.log, api.log)


def measure(url: str, args: argparse.Namespace, log: Path, pids: dict[str, int]) -> None:
    try:
        stops = [s["stop_id"] for s in httpx.get(f"{url}/v1/stops").json()]
        rng = random.Random(args.seed)
        made = 0
        t = time.perf_counter()
        with httpx.Client(base_url=url, timeout=30) as client:
            while made < args.open_bookings:
                quote = client.post("/v1/quotes", json=trip(rng, stops)).json()
                if quote.get("offers"):
                    r = client.post(
                        "/v1/bookings",
                        json={"offer_id": quote["offers"][0]["offer_id"], "rider": {"name": "Pre"}},
                    )
                    made += r.status_code == 201
        print(f"pre-booked {made} trips in {time.perf_counter() - t:.1f} s (sequential)")
        mode = f"open loop, {args.rate:g} attempts/s" if args.rate else "closed loop"
        print(f"{args.clients} clients, {mode}, {args.seconds:g} s")
        before = {name: tree_cpu(pid) for name, pid in pids.items()}
        stats = asyncio.run(load(url, stops, args.clients, args.seconds, args.seed, args.rate))
        after = {name: tree_cpu(pid) for name, pid in pids.items()}
        report(stats)
        print_cpu(before, after, len(stats["booked"]))
    except httpx.HTTPError:
        print("log (tail):", log.read_text()[-3000:])
        raise


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of one process so far (Linux; 0 where /proc is missing)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child_pids(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def tree_cpu(pid: int) -> dict[str, float]:
    """CPU seconds of a process itself and of its children (solver child, API workers)."""
    return {"itself": cpu_seconds(pid), "children": sum(map(cpu_seconds, child_pids(pid)))}


def print_cpu(before: dict[str, dict[str, float]], after: dict[str, dict[str, float]],
              booked: int) -> None:  # fmt: skip
    """Where the machine's time went during the load: per booking, what each process used."""
    parts = []
    for name in before:
        for part in ("itself", "children"):
            used = after[name][part] - before[name][part]
            if used > 0:
                label = name if part == "itself" else f"{name}'s children"
                parts.append(
                    f"{label} {used:.1f} s ({1000 * used / max(booked, 1):.0f} ms/booking)"
                )
    print("CPU during the load: " + ", ".join(parts))


def print_slow_events(*logs: Path) -> None:
    """The engine's events that kept it busy over 50 ms (quotes waited behind them), writes
    that took as long (the caller waited, quotes went on), and garbage collections that
    paused a process for as long."""
    took: dict[str, list[float]] = {}
    writes: dict[str, list[float]] = {}
    stages: dict[str, dict[str, list[float]]] = {}
    pauses: list[float] = []
    where: dict[str, int] = {}
    for log, line in ((f, line) for f in logs for line in f.read_text().splitlines()):
        if "slow engine event: " in line:
            kind, _, rest = line.split("slow engine event: ")[1].partition(" took ")
            took.setdefault(kind, []).append(float(rest.split()[0]))
            for part in rest.partition("(")[2].rstrip(")").split(", "):
                name, _, ms = part.rpartition(" ")
                if name:
                    stages.setdefault(kind, {}).setdefault(name, []).append(float(ms))
        elif "slow write: " in line:
            kind, _, rest = line.split("slow write: ")[1].partition(" stored in ")
            writes.setdefault(kind, []).append(float(rest.split()[0]))
        elif "garbage collection (generation" in line:
            pauses.append(float(line.split(" for ")[-1].split()[0]))
            generation = line.split("(generation ")[1].split(")")[0]
            label = f"{log.stem}, generation {generation}"
            where[label] = where.get(label, 0) + 1
    if pauses:
        places = ", ".join(f"{n} in {label}" for label, n in sorted(where.items()))
        print(
            f"garbage collection pauses over 50 ms: {len(pauses)}, max {max(pauses):.0f} ms "
            f"({places})"
        )
    else:
        print("garbage collection pauses over 50 ms: 0")
    print(f"engine events over 50 ms: {sum(map(len, took.values()))}")
    for kind, ms in sorted(took.items()):
        print(
            f"  {kind:<18} {len(ms):4d}, median {statistics.median(ms):.0f} ms, max {max(ms):.0f} ms"
        )
        if kind in stages:
            medians = (f"{n} {statistics.median(v):.0f}" for n, v in stages[kind].items())
            print(f"  {'':<18}       of which (medians, ms): {', '.join(medians)}")
    print(f"writes over 50 ms (quotes answered meanwhile): {sum(map(len, writes.values()))}")
    for kind, ms in sorted(writes.items()):
        print(
            f"  {kind:<18} {len(ms):4d}, median {statistics.median(ms):.0f} ms, max {max(ms):.0f} ms"
        )


if __name__ == "__main__":
    main()
