"""The service's OpenAPI document and what a response of it may hold, checked by a library.

Shared by the contract tests: the document is built from the very app ``dispatch serve``
runs (rider and hotline API with the driver API installed on it); a response body is
validated by ``jsonschema`` against the schema the document gives for its route, method
and status (OpenAPI 3.1 schemas are JSON Schema 2020-12).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from jsonschema import Draft202012Validator

JSON = "application/json"
#: What the document may answer without a JSON body (files, Prometheus metrics).
NOT_JSON = ("application/zip", "text/plain")


def service_document() -> dict[str, Any]:
    """The OpenAPI document of the app ``dispatch serve`` builds (without starting it)."""
    from driver_api.app import install
    from rider_api.app import create_app

    app = create_app(lambda: None)  # type: ignore[arg-type,return-value]
    install(app)
    return app.openapi()


def operations(document: Mapping[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """``(METHOD, path, operation)`` for every operation of the document."""
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def response_schema(
    document: Mapping[str, Any], method: str, path: str, status: int, content_type: str
) -> dict[str, Any] | None:
    """The schema the document gives for this answer (``{}`` for a file such as a zip);
    ``None`` if it documents no body.

    Raises ``KeyError`` naming what is undocumented (the status, or the content type)."""
    responses = document["paths"][path][method.lower()]["responses"]
    documented = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX")
    if documented is None:
        raise KeyError(f"{method} {path} answered {status}, which the document does not list")
    content = documented.get("content")
    if not content:
        return None
    bare = content_type.split(";")[0].strip()
    media = content.get(content_type, content.get(bare))
    if media is None:
        raise KeyError(f"{method} {path} {status}: {content_type} is not documented")
    schema: dict[str, Any] = media.get("schema", {})
    return schema


def validator(document: Mapping[str, Any], schema: Mapping[str, Any]) -> Draft202012Validator:
    """A validator of ``schema`` whose ``#/components/...`` references resolve in ``document``."""
    root = {**schema, "components": document.get("components", {})}
    return Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)


def untyped_parts(
    schema: Mapping[str, Any], components: Mapping[str, Any], where: str, seen: frozenset[str]
) -> list[str]:
    """Where ``schema`` lets a response hold something it does not describe: any value
    (``{}``), an object without named members (a map with typed values is fine), an
    object that allows members it does not name, an array without an item schema."""
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        if name in seen:
            return []
        return untyped_parts(components[name], components, f"{where}→{name}", seen | {name})
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return [
                found
                for k, part in enumerate(schema[key])
                for found in untyped_parts(part, components, f"{where}[{key} {k}]", seen)
            ]
    kind = schema.get("type")
    if kind is None and "const" not in schema and "enum" not in schema:
        return [f"{where}: any value"]
    if kind == "object":
        return _object_parts(schema, components, where, seen)
    if kind == "array":
        items = [*schema.get("prefixItems", []), *([schema["items"]] if "items" in schema else [])]
        if not items:
            return [f"{where}: an array of anything"]
        return [f for k, i in enumerate(items) for f in untyped_parts(i, components, f"{where}[{k}]", seen)]  # fmt: skip
    return []


def _object_parts(
    schema: Mapping[str, Any], components: Mapping[str, Any], where: str, seen: frozenset[str]
) -> list[str]:
    members = schema.get("properties") or {}
    extra = schema.get("additionalProperties", True)
    if not members and isinstance(extra, Mapping) and extra:  # a map, e.g. dict[str, str]
        return untyped_parts(extra, components, f"{where}{{*}}", seen)
    if not members:
        return [f"{where}: an object without named members"]
    found = [] if extra is False else [f"{where}: an object that allows undescribed members"]
    for name, member in members.items():
        found += untyped_parts(member, components, f"{where}.{name}", seen)
    return found
