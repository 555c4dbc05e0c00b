"""``/docs``: the interactive API documentation (Swagger UI), served offline.

Swagger UI's files come from the ``fastapi-offline`` package (installed with the
service), the page and its start script from here: nothing is loaded from a CDN, and the
page runs under a Content-Security-Policy without inline scripts. (ReDoc is not offered.)
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response

from dispatch.store.errors import NotFoundError

SWAGGER_DIR = Path(fastapi_offline.__file__).parent / "static"
OWN_DIR = Path(__file__).parent / "web" / "docs"
FILES = {
    "swagger-ui-bundle.js": (SWAGGER_DIR, "text/javascript"),
    "swagger-ui.css": (SWAGGER_DIR, "text/css"),
    "init.js": (OWN_DIR, "text/javascript"),
}
#: Swagger UI sets style attributes from script and shows data: images; nothing else loosened.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)
PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} – API</title>
<link rel="icon" href="/static/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/docs/static/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/static/swagger-ui-bundle.js"></script>
<script src="/docs/static/init.js"></script>
</body>
</html>
"""


def install(app: FastAPI) -> None:
    """``/docs`` and its files on ``app``."""
    router = APIRouter(include_in_schema=False)
    page = PAGE.format(title=app.title)

    @router.get("/docs")
    async def docs() -> HTMLResponse:
        return HTMLResponse(page, headers={"Content-Security-Policy": CSP})

    router.add_api_route("/docs/static/{name}", docs_file)
    app.include_router(router)


async def docs_file(name: str) -> Response:
    found = FILES.get(name)
    if found is None:
        raise NotFoundError(f"no file {name}")
    folder, media_type = found
    return FileResponse(folder / name, media_type=media_type, headers={"Cache-Control": "no-cache"})
