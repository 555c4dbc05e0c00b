"""Errors become RFC 9457 problem responses here, and only here.

Routers raise the service's own exceptions (``dispatch.errors``); this module decides
the HTTP status, title and body. A client never sees a traceback: unexpected errors
are logged with their traceback and answered with a plain 500 problem.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dispatch.errors import (
    AuthError,
    ConflictError,
    DispatchError,
    ForbiddenError,
    InfeasibleError,
    InputError,
    NotFoundError,
    RoadNetworkError,
    SnapError,
    UnavailableError,
)

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_S = 2
INVALID_JSON = "request body is not valid JSON"
_FASTAPI_BODY_ERROR = "There was an error parsing the body"
#: What is wrong with a request body as a whole, by pydantic's error type.
WHOLE_BODY = {
    "missing": "the request needs a JSON body (Content-Type: application/json)",
    "model_attributes_type": "the request body must be a JSON object, sent with "
    "Content-Type: application/json",
    "dict_type": "the request body must be a JSON object",
}


@dataclass(frozen=True, slots=True)
class ProblemSpec:
    """How one exception class is answered: status, title and optional extra members."""

    status: int
    title: str
    fields: Callable[[Exception], Mapping[str, Any]] | None = None


#: The most specific class in an exception's MRO decides (see ``spec_for``).
DEFAULT_SPECS: Mapping[type[Exception], ProblemSpec] = {
    DispatchError: ProblemSpec(422, "Request cannot be served"),
    InputError: ProblemSpec(422, "Invalid input"),
    SnapError: ProblemSpec(422, "Location not reachable by road"),
    InfeasibleError: ProblemSpec(422, "Request cannot be served"),
    NotFoundError: ProblemSpec(404, "Not found"),
    ConflictError: ProblemSpec(409, "Conflict"),
    AuthError: ProblemSpec(401, "Not authenticated"),
    ForbiddenError: ProblemSpec(403, "Forbidden"),
    UnavailableError: ProblemSpec(503, "Service unavailable"),
    RoadNetworkError: ProblemSpec(503, "Road network unavailable"),
}


def problem(
    status: int, title: str, detail: str, retry_after_s: int = RETRY_AFTER_S, **members: Any
) -> JSONResponse:
    """A problem+json response (``type`` is ``about:blank``: the status says it all).

    A 503 says when to try again (``Retry-After``): the service is starting, or the
    database does not answer for the moment; nothing was done, the same request may be
    repeated (a booking with the same ``Idempotency-Key``).
    """
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if status == 503:
        headers["Retry-After"] = str(retry_after_s)
    return JSONResponse(
        {**body, **members}, status_code=status, media_type=PROBLEM_JSON, headers=headers or None
    )


def spec_for(exc: Exception, specs: Mapping[type[Exception], ProblemSpec]) -> ProblemSpec | None:
    for cls in type(exc).__mro__:
        spec = specs.get(cls)
        if spec is not None:
            return spec
    return None


def install_problem_handlers(
    app: FastAPI, extra: Mapping[type[Exception], ProblemSpec] | None = None
) -> None:
    """Answer every error of ``app`` with a problem response.

    ``extra`` maps further exception classes (e.g. the store's or the engine's own
    subclasses that should get another status or extra members) and wins over the
    defaults.
    """
    specs = {**DEFAULT_SPECS, **(extra or {})}
    app.add_exception_handler(DispatchError, _dispatch_handler(specs))
    for cls in extra or {}:
        if not issubclass(cls, DispatchError):
            app.add_exception_handler(cls, _dispatch_handler(specs))
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(HTTPException, _http_handler)
    app.add_middleware(CatchAllMiddleware)


Handler = Callable[[Request, Exception], Awaitable[Response]]


def _dispatch_handler(specs: Mapping[type[Exception], ProblemSpec]) -> Handler:
    async def handle(_: Request, exc: Exception) -> Response:
        spec = spec_for(exc, specs) or DEFAULT_SPECS[DispatchError]
        members = dict(spec.fields(exc)) if spec.fields else {}
        if spec.status >= 500:
            log.warning("%s: %s", type(exc).__name__, exc)
        retry = getattr(exc, "retry_after_s", RETRY_AFTER_S)
        return problem(spec.status, spec.title, str(exc) or spec.title, retry, **members)

    return handle


async def _validation_handler(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    raw = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in raw):
        return problem(400, "Bad Request", INVALID_JSON)
    errors = [describe_error(e) for e in raw]
    detail = "; ".join(
        f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors
    )
    return problem(422, "Invalid request", detail, errors=errors)


async def _http_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = str(exc.detail)
    if exc.status_code == 400 and detail == _FASTAPI_BODY_ERROR:
        detail = INVALID_JSON  # e.g. a body that is not UTF-8
    response = problem(exc.status_code, _reason(exc.status_code), detail)
    response.headers.update(exc.headers or {})
    if exc.status_code == 405:
        response.headers["Allow"] = ", ".join(allowed_methods(request))
    return response


def allowed_methods(request: Request) -> list[str]:
    """Every method of every route at this path (Starlette's 405 names only one route's)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        route_methods = getattr(route, "methods", None)
        if match is not Match.NONE and route_methods:
            methods |= set(route_methods)
    return sorted(methods)


def describe_error(error: Mapping[str, Any]) -> dict[str, str]:
    """One pydantic error as ``{"field", "message", "type"}``: no input echoed back."""
    location = [str(p) for p in error.get("loc", ())]
    if location and location[0] in ("body", "query", "path", "header", "cookie"):
        where, location = location[0], location[1:]
    else:
        where = ""
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    if where == "body" and not location:  # the body as a whole: none, or not a JSON object
        message = WHOLE_BODY.get(str(error.get("type")), message)
    field = ".".join(location)
    if where not in ("", "body") and field:
        field = f"{where} {field}"
    return {"field": field, "message": message, "type": str(error.get("type", "value_error"))}


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class CatchAllMiddleware:
    """Turn any unhandled exception into a logged 500 problem instead of a traceback.

    A plain ASGI middleware rather than an ``Exception`` handler: Starlette re-raises
    after running such a handler, which would log every error twice.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unexpected error in %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            response = problem(500, "Internal error", "something went wrong on our side")
            await response(scope, receive, send)
