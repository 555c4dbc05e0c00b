"""The driver web page and the map data it draws (no CDN, no map tiles: offline).

The page draws its map from the service's own road network: every drivable road as
an encoded polyline, plus the named places, fetched once and kept by the browser.

It comes in the driver's language (German, English, Turkish, Ukrainian, Arabic — right to
left), filled in on the server from ``web/i18n/<language>.json`` so that the first paint
is already in the right language and direction. The language is chosen by ``?lang=``,
else the ``rufbus_lang`` cookie (shared with the rider pages), else the browser's
``Accept-Language``, else the service's ``language`` (German by default).
"""

from __future__ import annotations

import html
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Cookie, FastAPI, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from driver_api.schemas import DriverMap
from driver_api.state import get_hub

WEB_DIR = Path(__file__).parent / "web"
LANGUAGES = ("de", "en", "tr", "uk", "ar")
DEFAULT_LANGUAGE = "de"
LANG_COOKIE = "rufbus_lang"
_PLACEHOLDER = re.compile(r"\{\{(=?)([A-Za-z0-9_]+)\}\}")
#: Everything from this server; the page runs no inline script.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

router = APIRouter(tags=["driver"])


@lru_cache(maxsize=len(LANGUAGES))
def driver_words(lang: str) -> dict[str, str]:
    """The driver page's words in ``lang``; a missing word falls back to German."""
    words: dict[str, str] = json.loads((WEB_DIR / "i18n" / f"{lang}.json").read_text("utf-8"))
    if lang == DEFAULT_LANGUAGE:
        return words
    return {**driver_words(DEFAULT_LANGUAGE), **words}


def choose_language(
    query: str | None, cookie: str | None, accept: str | None, default: str = DEFAULT_LANGUAGE
) -> str:
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return candidate
    for part in (accept or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return default


def render_page(lang: str) -> str:
    """``index.html`` with ``{{word}}`` (escaped) and ``{{=lang}}``, ``{{=dir}}``, ``{{=words}}``."""
    words = driver_words(lang)
    options = "".join(
        f'<option value="{code}" lang="{code}"{" selected" if code == lang else ""}>'
        f"{html.escape(driver_words(code)['_name'])}</option>"
        for code in LANGUAGES
    )
    values = {
        "lang": lang,
        "dir": words.get("_dir", "ltr"),
        "words": json.dumps(words, ensure_ascii=False).replace("<", "\\u003c"),
        "language_options": options,
    }

    def fill(match: re.Match[str]) -> str:
        raw, key = match.group(1), match.group(2)
        return values[key] if raw else html.escape(words.get(key, key))

    return _PLACEHOLDER.sub(fill, _template())


@lru_cache(maxsize=1)
def _template() -> str:
    return (WEB_DIR / "index.html").read_text("utf-8")


LangQuery = Annotated[str | None, Query(alias="lang", max_length=5)]
LangCookie = Annotated[str | None, Cookie(alias=LANG_COOKIE)]
AcceptLanguage = Annotated[str | None, Header(alias="Accept-Language")]
AcceptEncoding = Annotated[str | None, Header(alias="Accept-Encoding")]


@router.api_route("/driver", methods=["GET", "HEAD"], include_in_schema=False)
async def driver_page(
    request: Request, q: LangQuery = None, c: LangCookie = None, a: AcceptLanguage = None
) -> HTMLResponse:
    """The page (also for ``HEAD``, which monitoring and link checkers send)."""
    runtime = getattr(request.app.state, "runtime", None)
    default = str(runtime.config.language) if runtime is not None else DEFAULT_LANGUAGE
    lang = choose_language(q, c, a, default)
    response = HTMLResponse(render_page(lang), headers={"Content-Security-Policy": CSP})
    response.headers["Content-Language"] = lang
    response.headers["Cache-Control"] = "no-cache"
    if q == lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response


@router.get(
    "/v1/driver/map",
    response_model=None,
    responses={200: {"model": DriverMap, "description": "The map (maybe gzipped)"}},
)
async def map_roads(request: Request, a: AcceptEncoding = None) -> Response:
    """Roads (encoded polylines), places and bounds of the service area, for offline maps
    (the same map as ``GET /v1/map/roads``), gzipped for a phone on a slow network."""
    geometry = get_hub(request.app).runtime.geometry
    encoded = await run_in_threadpool(geometry.encoded_map)
    headers = {"ETag": encoded.etag, "Vary": "Accept-Encoding"}
    if a and "gzip" in a:
        headers["Content-Encoding"] = "gzip"
        return Response(encoded.gzipped, media_type="application/json", headers=headers)
    return Response(encoded.body, media_type="application/json", headers=headers)


def install(app: FastAPI) -> None:
    """Mount the driver routes, the stream and the page on the service's app."""
    from driver_api import shifts, stream

    app.include_router(stream.router)
    app.include_router(shifts.router)
    app.include_router(router)
    app.mount("/driver/static", StaticFiles(directory=WEB_DIR), name="driver-static")
