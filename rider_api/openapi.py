"""The OpenAPI document tells the truth about errors.

Every operation lists the error answers it can give, each as ``application/problem+json``
with the ``Problem`` schema: routes name their own (401, 403, 404, 409 — see
:func:`problems`), and :func:`install` adds what every operation of its kind can answer:
422 (invalid parameters, or control characters in the address) and 503 (starting, or the
database not answering; with ``Retry-After``) for all, 400 (not JSON) and 413 (body too
large) for those with a body.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from rider_api.problems import PROBLEM_JSON
from rider_api.schemas.common import Problem

DESCRIPTIONS = {
    400: "The body is not valid JSON",
    401: "No valid token (booking access token, staff or device token)",
    403: "The token's role may not do this",
    404: "Not found",
    409: "Conflicts with the current state (e.g. the offer was booked or expired)",
    413: "The request body is larger than 64 KB",
    422: "Invalid input; `detail` says why, `errors` names the fields",
    503: "Starting up, or the database is not answering; try again after `Retry-After` seconds",
}
_REF = {"$ref": "#/components/schemas/Problem"}


#: ``openapi_extra`` of a route that anybody may call and staff may call with their token
#: (e.g. a quote, which then counts as a hotline request): the bearer token is optional.
#: FastAPI appends this to the route's security requirements; ``{}`` means "none needed".
OPTIONAL_TOKEN: dict[str, Any] = {"security": [{}]}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: these error statuses, as problem+json."""
    return {status: _problem_response(status) for status in statuses}


def _problem_response(status: int) -> dict[str, Any]:
    return {"description": DESCRIPTIONS[status], "content": {PROBLEM_JSON: {"schema": _REF}}}


def install(app: FastAPI) -> None:
    """Replace ``app.openapi`` by one that documents every error answer (see module doc)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        components = document.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = Problem.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        for item in document.get("paths", {}).values():
            for operation in item.values():
                _document_errors(operation)
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _document_errors(operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    has_body = "requestBody" in operation
    generic = [422, 503]  # 422 also for control characters in the address, on any route
    if has_body:
        generic += [400, 413]
    for code in generic:
        responses[str(code)] = _problem_response(code)
    for key, response in responses.items():
        if key.isdigit() and int(key) >= 400:
            response["content"] = {PROBLEM_JSON: {"schema": _REF}}
            response.setdefault("description", DESCRIPTIONS.get(int(key), "Error"))
