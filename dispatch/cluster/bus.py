"""The message bus between API workers and the engine of each service area (Redis).

One small interface (:class:`Bus`), used by both sides:

- **Commands** (quote, book, cancel, driver reports, positions) go from any API worker
  to the area's engine over a Redis Stream, each with a reply key and a deadline. The
  worker waits for the answer until the deadline and otherwise answers 503 with
  ``Retry-After``: the client retries (with the same ``Idempotency-Key`` for a booking)
  and gets the first attempt's answer if it was made. The engine removes each command
  from the stream before it runs it, so a command runs at most once; one whose deadline
  has passed is dropped (its caller has given up).
- **Back-pressure:** a worker refuses at once (503) when more than ``max_backlog``
  commands wait for the area's engine, instead of queueing without limit.
- **Plans** go from the engine to every worker (Redis pub/sub, plus the newest version
  of each bus's plan in a hash for workers that start or reconnect), so a driver
  connected to any worker gets its plan updates.
- **The read model** (the engine's published views for the dispatcher view and "where
  is my bus") and **the leader**: the engine that leads an area writes its name with a
  short expiry and renews it every second; ``/readyz`` of a worker is 200 only while
  the area has a leader.

Redis may restart: every call that finds it gone raises :class:`UnavailableError` (503),
the engine's loops reconnect, and the engine writes its leader key, plans and views again.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import redis

from dispatch.cluster.wire import WireError, decode, encode
from dispatch.errors import DispatchError, UnavailableError

log = logging.getLogger(__name__)

#: Commands that may wait for an area's engine before workers refuse new ones.
DEFAULT_MAX_BACKLOG = 200
#: How long the leader key lives without renewal (the leader renews it every second).
LEADER_TTL_S = 3
#: How long a worker's list of connected drivers counts without renewal (renewed twice a second).
CONNECTED_TTL_S = 3
#: How long an unread answer stays in Redis.
REPLY_TTL_S = 60


@dataclass(frozen=True)
class Call:
    """One command for the engine: the name of what to do and its arguments."""

    name: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    """The engine's answer: a value, or the service error it raised."""

    value: Any = None
    error: DispatchError | None = None
    failure: str | None = None  # anything else went wrong (a bug): its description


class Bus(Protocol):
    """What the API workers and the engines need from the message bus."""

    def call(self, area: str, call: Call, timeout_s: float) -> Any: ...

    def serve(self, area: str, handle: Callable[[Call], Any], stop: threading.Event) -> None: ...

    def publish_plan(self, area: str, vehicle_id: str, plan: object) -> None: ...

    def latest_plans(self, area: str) -> list[Any]: ...

    def plan_count(self, area: str) -> int: ...

    def subscribe_plans(
        self, area: str, on_plan: Callable[[Any], None], stop: threading.Event
    ) -> None: ...

    def write_view(self, area: str, view: object) -> None: ...

    def read_view(self, area: str) -> Any: ...

    def write_engine_view(self, area: str, version: int, view: object) -> None: ...

    def read_engine_view(self, area: str, known: int) -> tuple[int, Any] | None: ...

    def announce_leader(self, area: str, name: str) -> None: ...

    def leader(self, area: str) -> str | None: ...

    def backlog(self, area: str) -> int: ...

    def set_connected(self, area: str, worker: str, shifts: frozenset[str]) -> None: ...

    def connected(self, area: str) -> frozenset[str]: ...


def _keys(area: str) -> dict[str, str]:
    base = f"rufbus:{area}"
    return {
        "commands": f"{base}:commands",
        "plans": f"{base}:plans",
        "latest": f"{base}:plans:latest",
        "view": f"{base}:view",
        "engine_view": f"{base}:engine-view",
        "engine_view_version": f"{base}:engine-view:version",
        "leader": f"{base}:leader",
        "connected": f"{base}:connected",
    }


class RedisBus:
    """:class:`Bus` over Redis (Streams for commands, pub/sub for plans)."""

    def __init__(self, url: str, max_backlog: int = DEFAULT_MAX_BACKLOG, workers: int = 8) -> None:
        self.url = url
        self.max_backlog = max_backlog
        self.workers = workers
        # redis-py's own annotations cover sync and async answers at once; the bus checks
        # the shapes it relies on itself.
        self.client: Any = redis.Redis.from_url(
            url, socket_connect_timeout=1, socket_timeout=5, health_check_interval=10
        )

    def close(self) -> None:
        self.client.close()

    # ---- worker side -------------------------------------------------------------------

    def call(self, area: str, call: Call, timeout_s: float) -> Any:
        """Send ``call`` to the area's engine and wait for its answer (blocking).

        Raises the engine's :class:`DispatchError` as it was raised there, and
        :class:`UnavailableError` when the engine is behind, has no leader, or does not
        answer before ``timeout_s``.
        """
        keys = _keys(area)
        reply_key = f"rufbus:reply:{uuid.uuid4().hex}"
        try:
            if self.client.xlen(keys["commands"]) >= self.max_backlog:
                raise _busy(f"the dispatcher of {area} is behind; try again in a moment")
            if self.client.get(keys["leader"]) is None:
                raise _busy(f"no dispatcher engine leads {area} right now; try again shortly")
            fields = {"reply": reply_key, "deadline": repr(time.time() + timeout_s)}
            self.client.xadd(keys["commands"], {**fields, "body": encode(call)})
            got = self.client.blpop([reply_key], timeout=timeout_s)
        except redis.TimeoutError:  # the bus answered, the engine did not (it may have died)
            raise _busy(
                f"no answer from the dispatcher engine of {area} in time (it or the message "
                "bus may be restarting); try again in a moment"
            ) from None
        except redis.RedisError as exc:
            raise _busy(f"the message bus is unavailable ({type(exc).__name__})") from None
        if got is None:
            raise _busy(f"the dispatcher of {area} did not answer in time")
        answer: Answer = decode(got[1])
        if answer.error is not None:
            raise answer.error
        if answer.failure is not None:
            raise RuntimeError(f"the dispatcher engine failed: {answer.failure}")
        return answer.value

    def backlog(self, area: str) -> int:
        return int(self.client.xlen(_keys(area)["commands"]))

    def set_connected(self, area: str, worker: str, shifts: frozenset[str]) -> None:
        """The shifts whose drivers are connected to ``worker`` (kept for a few seconds)."""
        key = f"{_keys(area)['connected']}:{worker}"
        self.client.set(key, encode(shifts), ex=CONNECTED_TTL_S)

    def connected(self, area: str) -> frozenset[str]:
        """The shifts whose drivers are connected to any worker."""
        found: set[str] = set()
        for key in self.client.scan_iter(match=f"{_keys(area)['connected']}:*", count=100):
            data = self.client.get(key)
            if isinstance(data, bytes):
                found |= decode(data)
        return frozenset(found)

    def leader(self, area: str) -> str | None:
        value = self.client.get(_keys(area)["leader"])
        return value.decode() if isinstance(value, bytes) else None

    def latest_plans(self, area: str) -> list[Any]:
        stored = self.client.hgetall(_keys(area)["latest"])
        return [decode(v) for v in stored.values()]

    def plan_count(self, area: str) -> int:
        """How many buses have a newest plan on the bus (without reading them)."""
        return int(self.client.hlen(_keys(area)["latest"]))

    def subscribe_plans(
        self, area: str, on_plan: Callable[[Any], None], stop: threading.Event
    ) -> None:
        """Call ``on_plan`` with every plan the engine publishes, until ``stop`` is set.

        Starts with the newest plan of every bus, and again after every reconnection (a
        plan published while Redis was away is not lost: the hash holds it)."""
        channel = _keys(area)["plans"]
        while not stop.is_set():
            try:
                pubsub = self.client.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(channel)
                for plan in self.latest_plans(area):
                    on_plan(plan)
                while not stop.is_set():
                    message = pubsub.get_message(timeout=0.5)
                    if message is not None and message["type"] == "message":
                        on_plan(decode(message["data"]))
                pubsub.close()
            except (redis.RedisError, WireError) as exc:
                log.warning("plan subscription to %s lost (%s); reconnecting", area, exc)
                stop.wait(0.5)

    def read_view(self, area: str) -> Any:
        data = self.client.get(_keys(area)["view"])
        return decode(data) if isinstance(data, bytes) else None

    # ---- engine side -------------------------------------------------------------------

    def serve(self, area: str, handle: Callable[[Call], Any], stop: threading.Event) -> None:
        """Run the area's commands with ``handle`` until ``stop`` is set (blocking).

        Each command is taken off the stream before it runs (at most once); commands
        run in a small pool, so that one waiting for the database does not hold the rest.
        """
        stream = _keys(area)["commands"]
        last = "0-0"  # a new leader also runs what its predecessor had not taken yet
        with ThreadPoolExecutor(self.workers, thread_name_prefix=f"bus-{area}") as pool:
            while not stop.is_set():
                try:
                    got = self.client.xread({stream: last}, count=64, block=500)
                except redis.RedisError as exc:
                    log.warning("command stream of %s unavailable (%s); retrying", area, exc)
                    stop.wait(0.5)
                    continue
                for _, entries in got or []:
                    for entry_id, fields in entries:
                        last = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
                        self._take(stream, entry_id, fields, handle, pool)

    def _take(
        self,
        stream: str,
        entry_id: Any,
        fields: dict[bytes, bytes],
        handle: Callable[[Call], Any],
        pool: ThreadPoolExecutor,
    ) -> None:
        try:
            self.client.xdel(stream, entry_id)
        except redis.RedisError:
            return  # not taken: the caller's deadline decides
        reply = fields[b"reply"].decode()
        if float(fields[b"deadline"]) < time.time():
            log.info("dropped a command whose caller had given up")
            return
        pool.submit(self._run, reply, fields[b"body"], handle)

    def _run(self, reply: str, body: bytes, handle: Callable[[Call], Any]) -> None:
        try:
            answer = Answer(value=handle(decode(body)))
        except DispatchError as exc:
            answer = Answer(error=exc)
        except Exception as exc:
            log.exception("command failed")
            answer = Answer(failure=f"{type(exc).__name__}: {exc}")
        try:
            pipe = self.client.pipeline()
            pipe.lpush(reply, encode(answer))
            pipe.expire(reply, REPLY_TTL_S)
            pipe.execute()
        except redis.RedisError as exc:
            log.warning("could not deliver an answer (%s)", exc)

    def publish_plan(self, area: str, vehicle_id: str, plan: object) -> None:
        keys, data = _keys(area), encode(plan)
        pipe = self.client.pipeline()
        pipe.hset(keys["latest"], vehicle_id, data)
        pipe.publish(keys["plans"], data)
        pipe.execute()

    def write_view(self, area: str, view: object) -> None:
        self.client.set(_keys(area)["view"], encode(view))

    def write_engine_view(self, area: str, version: int, view: object) -> None:
        """The engine's whole view (every open booking), under its version number."""
        keys = _keys(area)
        pipe = self.client.pipeline()
        pipe.set(keys["engine_view"], encode((version, view)))
        pipe.set(keys["engine_view_version"], version)
        pipe.execute()

    def read_engine_view(self, area: str, known: int) -> tuple[int, Any] | None:
        """The engine's view and its version, unless it is still version ``known`` (None)."""
        keys = _keys(area)
        version = self.client.get(keys["engine_view_version"])
        if version is None or int(version) == known:
            return None
        data = self.client.get(keys["engine_view"])
        if not isinstance(data, bytes):
            return None
        found: tuple[int, Any] = decode(data)
        return found

    def announce_leader(self, area: str, name: str) -> None:
        self.client.set(_keys(area)["leader"], name, ex=LEADER_TTL_S)


def _busy(message: str) -> UnavailableError:
    error = UnavailableError(message)
    error.retry_after_s = 1
    return error


def redis_check(url: str) -> str:
    """``ok`` when Redis at ``url`` answers PING within a second, else the reason."""
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        return f"unavailable: {exc}"
    finally:
        client.close()
    return "ok"
