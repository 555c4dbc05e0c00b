"""The booking rules on a request's time: one place for the live service and replays.

A request must lie in the future (five minutes of slack for a slow caller), inside the
prebooking horizon, at least the minimum notice ahead, and inside the operating hours
of its day. The answer is the reason a rider reads, or ``None`` when the time is fine.
"""

from __future__ import annotations

from datetime import datetime

from dispatch.config import ServiceConfig

#: A requested time this close to now still counts as "now".
PAST_SLACK_S = 300


def time_problem(config: ServiceConfig, when: int, now: int) -> str | None:
    """Why a ride at ``when`` cannot be booked at ``now``, or ``None``."""
    rules = config.booking
    if when < now - PAST_SLACK_S:
        return "the requested time is in the past"
    if when > now + rules.prebooking_horizon_days * 86400:
        return f"bookings are possible at most {rules.prebooking_horizon_days} days ahead"
    notice = rules.minimum_notice_min * 60
    if when < now + notice - PAST_SLACK_S:
        return f"please book at least {notice // 60} minutes ahead"
    local = datetime.fromtimestamp(when, config.zone)
    span = config.hours.on(local.weekday())
    if span is None:
        return f"the service does not run on {local:%A, %d %B}"
    if not span.start <= local.time() <= span.end:
        return f"the service runs from {span.start:%H:%M} to {span.end:%H:%M}"
    return None
