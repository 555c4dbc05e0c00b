"""One place that turns errors into RFC 9457 problem responses (never a traceback)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from dispatch.errors import (
    AuthError,
    ConflictError,
    DispatchError,
    ForbiddenError,
    InputError,
    NotFoundError,
    UnavailableError,
)
from dispatch.service.booking import OfferGoneError
from dispatch.store.errors import IdempotencyConflict

log = logging.getLogger(__name__)

STATUS: list[tuple[type[Exception], int, str]] = [
    (IdempotencyConflict, 422, "Idempotency key reused"),
    (OfferGoneError, 409, "Offer no longer available"),
    (ConflictError, 409, "Conflict"),
    (NotFoundError, 404, "Not found"),
    (ForbiddenError, 403, "Forbidden"),
    (AuthError, 401, "Not authorised"),
    (UnavailableError, 503, "Unavailable"),
    (InputError, 422, "Invalid request"),
    (DispatchError, 422, "Request cannot be served"),
]


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def install(app: FastAPI) -> None:
    @app.exception_handler(DispatchError)
    async def dispatch_error(_: Request, exc: DispatchError) -> JSONResponse:
        for kind, status, title in STATUS:
            if isinstance(exc, kind):
                extra = (
                    {"fresh": exc.fresh} if isinstance(exc, OfferGoneError) and exc.fresh else {}
                )
                return problem(status, title, str(exc), **extra)
        return problem(422, "Request cannot be served", str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [_describe(e) for e in exc.errors()]
        if any(e.get("type") == "json_invalid" for e in exc.errors()):
            return problem(400, "Malformed JSON", "the request body is not valid JSON")
        return problem(422, "Invalid request", "; ".join(errors), errors=errors)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        return problem(exc.status_code, "Error", str(exc.detail))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return problem(500, "Internal error", "something went wrong on our side; please try again")


def _describe(error: Any) -> str:
    where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message
