"""A subscriber that stops reading is told so (and dropped), instead of waiting forever."""

from __future__ import annotations

import asyncio

import pytest

from dispatch.engine.publisher import InMemoryPublisher, PublishedPlan, SubscriptionLagging


def test_overflowed_subscription_raises_lagging_on_next() -> None:
    async def main() -> None:
        pub = InMemoryPublisher(queue_size=2)
        sub = pub.subscribe("v1", asyncio.get_running_loop())
        for version in range(1, 5):
            pub.publish(PublishedPlan("v1", version, {}))
        await asyncio.sleep(0)
        with pytest.raises(SubscriptionLagging):
            await asyncio.wait_for(sub.next(), 1)
        assert pub.subscriber_count("v1") == 0

    asyncio.run(main())
