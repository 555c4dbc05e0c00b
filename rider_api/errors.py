"""The service's error answers: the problem handlers of :mod:`rider_api.problems`, plus
the booking flow's own cases (a reused idempotency key, an offer that is gone)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, tzinfo

from fastapi import FastAPI

from dispatch.service.booking import OfferGoneError
from dispatch.store.errors import IdempotencyConflict
from rider_api.problems import ProblemSpec, install_problem_handlers
from rider_api.schemas.quotes import QuotePublic


def booking_problems(zone: Callable[[], tzinfo]) -> Mapping[type[Exception], ProblemSpec]:
    """The booking flow's problems; a gone offer's ``fresh`` offers are a ``QuotePublic``
    (its times in the service's ``zone``)."""

    def fresh_offers(exc: Exception) -> Mapping[str, object]:
        fresh = exc.fresh if isinstance(exc, OfferGoneError) else None
        if fresh is None:
            return {}
        return {"fresh": QuotePublic.of(fresh, zone()).model_dump(mode="json")}

    return {
        IdempotencyConflict: ProblemSpec(422, "Idempotency key reused"),
        OfferGoneError: ProblemSpec(409, "Offer no longer available", fresh_offers),
    }


def install(app: FastAPI) -> None:
    """Answer every error of ``app`` as ``application/problem+json`` (never a traceback)."""

    def zone() -> tzinfo:
        found = getattr(app.state, "time_zone", None)
        return found if isinstance(found, tzinfo) else UTC

    install_problem_handlers(app, booking_problems(zone))
