"""What every HTTP request and answer goes through before the routes: the service's edges.

- **Body size**: a body larger than ``MAX_BODY_BYTES`` (64 KB, far above any real
  booking or standing order) is refused with 413 before anything parses it, whether it
  announces its length or streams it in chunks.
- **Control characters**: a path or query string holding NUL or another control
  character is refused with 422 on every database (PostgreSQL cannot even store NUL);
  request bodies are checked by the schemas (``StrictBody``).
- **Security headers** on every answer — pages, static files, the API documentation, JSON
  and errors alike: a Content-Security-Policy (a page's own, or one that allows only this
  server) always with ``frame-ancestors 'none'`` so no other site can frame the driver's
  buttons, ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY`` and
  ``Referrer-Policy: no-referrer``.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rider_api.problems import problem

MAX_BODY_BYTES = 64 * 1024
#: C0 controls but tab, line feed and carriage return; DEL; C1 controls.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: In an address, even tab and line breaks are out of place.
ADDRESS_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
DEFAULT_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    b"x-content-type-options": b"nosniff",
    b"x-frame-options": b"DENY",
    b"referrer-policy": b"no-referrer",
}


def has_control_characters(text: str, *, allow_line_breaks: bool = True) -> bool:
    return bool((CONTROL if allow_line_breaks else ADDRESS_CONTROL).search(text))


class EdgeMiddleware:
    """Body limit, control characters in addresses, security headers (see module doc)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _with_security_headers(send)
        refusal = self._refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        if not _declares_length(scope):  # a streamed body: read it (up to the limit) first
            body = await self._read_limited(receive)
            if body is None:
                await _too_large(self.max_body_bytes)(scope, receive, send)
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, send)

    async def _read_limited(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    def _refusal(self, scope: Scope) -> Response | None:
        path = scope.get("path", "")
        query = unquote(scope.get("query_string", b"").decode("latin-1"))
        if has_control_characters(path + query, allow_line_breaks=False):
            return problem(
                422, "Invalid request", "control characters are not allowed in the address"
            )
        for name, value in scope.get("headers", []):
            too_large = value.isdigit() and int(value) > self.max_body_bytes
            if name == b"content-length" and too_large:
                return _too_large(self.max_body_bytes)
        return None


def _declares_length(scope: Scope) -> bool:
    return any(name == b"content-length" for name, _ in scope.get("headers", []))


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body once more for the app, then whatever comes next (a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _too_large(limit: int) -> Response:
    return problem(413, "Content Too Large", f"the request body is larger than {limit // 1024} KB")


def _with_security_headers(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            names = {name.lower() for name, _ in headers}
            for name, value in SECURITY_HEADERS.items():
                if name not in names:
                    headers.append((name, value))
            if b"content-security-policy" not in names:
                headers.append((b"content-security-policy", DEFAULT_CSP.encode()))
            message = {**message, "headers": headers}
        await send(message)

    return wrapped
