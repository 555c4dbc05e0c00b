"""The service's error answers: the problem handlers of :mod:`rider_api.problems`, plus
the booking flow's own cases (a reused idempotency key, an offer that is gone)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI

from dispatch.service.booking import OfferGoneError
from dispatch.store.errors import IdempotencyConflict
from rider_api.problems import ProblemSpec, install_problem_handlers


def _fresh_offers(exc: Exception) -> Mapping[str, Any]:
    fresh = exc.fresh if isinstance(exc, OfferGoneError) else None
    return {"fresh": fresh} if fresh else {}


BOOKING_PROBLEMS: Mapping[type[Exception], ProblemSpec] = {
    IdempotencyConflict: ProblemSpec(422, "Idempotency key reused"),
    OfferGoneError: ProblemSpec(409, "Offer no longer available", _fresh_offers),
}


def install(app: FastAPI) -> None:
    """Answer every error of ``app`` as ``application/problem+json`` (never a traceback)."""
    install_problem_handlers(app, BOOKING_PROBLEMS)
