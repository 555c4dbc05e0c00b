from __future__ import annotations

import asyncio
import threading

from dispatch.engine.adapters.publisher import InMemoryPublisher, PublishedPlan


def _plan(version: int, vehicle: str = "v1") -> PublishedPlan:
    return PublishedPlan(vehicle, version, {"version": version})


def test_subscriber_receives_plans_published_from_another_thread() -> None:
    async def main() -> list[int]:
        pub = InMemoryPublisher()
        sub = pub.subscribe("v1", asyncio.get_running_loop())
        thread = threading.Thread(target=lambda: [pub.publish(_plan(v)) for v in (1, 2, 3)])
        thread.start()
        got = [(await asyncio.wait_for(sub.next(), 2)).version for _ in range(3)]
        thread.join()
        return got

    assert asyncio.run(main()) == [1, 2, 3]


def test_old_versions_are_ignored_and_latest_is_kept() -> None:
    pub = InMemoryPublisher()
    pub.publish(_plan(3))
    pub.publish(_plan(2))
    latest = pub.latest("v1")
    assert latest is not None and latest.version == 3
    assert pub.latest("other") is None


def test_slow_subscriber_skips_superseded_versions_without_blocking_others() -> None:
    async def main() -> tuple[int, list[int], list[int], int]:
        pub = InMemoryPublisher(queue_size=2)
        loop = asyncio.get_running_loop()
        slow = pub.subscribe("v1", loop)
        fast = pub.subscribe("v1", loop)
        received = []
        for v in range(1, 6):
            pub.publish(_plan(v))
            await asyncio.sleep(0)
            received.append((await asyncio.wait_for(fast.next(), 1)).version)
        late = [(await asyncio.wait_for(slow.next(), 1)).version for _ in range(slow.queue.qsize())]
        return slow.skipped, received, late, pub.subscriber_count("v1")

    skipped, received, late, remaining = asyncio.run(main())
    assert received == [1, 2, 3, 4, 5]  # the reading subscriber gets every version
    assert late[-1] == 5 and len(late) <= 2  # the slow one: bounded, and ends on the newest
    assert skipped == 5 - len(late)
    assert remaining == 2  # nobody is dropped for being slow (the socket's time limit does it)
