"""The pages people use: rider app (``/``), hotline console (``/console``), dispatcher view (``/ops``).

The pages are plain HTML with the words filled in on the server from the translation
files in ``web/i18n/`` (one JSON file per language, editable by a translator), so the
first paint is already in the reader's language and direction. The scripts and styles
under ``web/static/`` are written here; nothing is fetched from a CDN.

The language is chosen by ``?lang=``, else the ``rufbus_lang`` cookie (set when the
reader picks a language), else the browser's ``Accept-Language``, else the service's
``language`` (German by default).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Awaitable, Callable
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Cookie, Header, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from dispatch.store.errors import NotFoundError

WEB = Path(__file__).parent / "web"
STATIC = WEB / "static"
LANGUAGES = ("de", "en", "tr", "uk", "ar")
DEFAULT_LANGUAGE = "de"
LANG_COOKIE = "rufbus_lang"
PAGES = {
    "rider": "rider.html",
    "console": "console.html",
    "ops": "ops.html",
    "open": "open.html",
    "proposals": "proposals.html",
    "planning": "planning.html",
}
_PLACEHOLDER = re.compile(r"\{\{(=?)([A-Za-z0-9_.]+)\}\}")
#: Scripts and styles come from this server only; the map's optional tiles may come from elsewhere.
CSP = (
    "default-src 'self'; img-src 'self' data: https:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; manifest-src 'self'; worker-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'"
)
MEDIA = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".webmanifest": "application/manifest+json",
    ".png": "image/png",
}

router = APIRouter(include_in_schema=False)


@lru_cache(maxsize=len(LANGUAGES))
def translations(lang: str) -> dict[str, str]:
    """The words of ``lang``; missing ones fall back to German, so a page never shows a key."""
    words: dict[str, str] = json.loads((WEB / "i18n" / f"{lang}.json").read_text("utf-8"))
    if lang == DEFAULT_LANGUAGE:
        return words
    return {**translations(DEFAULT_LANGUAGE), **words}


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


@lru_cache(maxsize=len(PAGES))
def _template(name: str) -> str:
    return (WEB / "templates" / name).read_text("utf-8")


def render(page: str, lang: str, zone: str = "Europe/Berlin") -> str:
    """The page with its words in ``lang`` (escaped), ``{{=lang}}``, ``{{=dir}}``, ``{{=words}}``."""
    words = translations(lang)
    values = {
        "lang": lang,
        "zone": html.escape(zone),
        "dir": words.get("_dir", "ltr"),
        "words": json.dumps(words, ensure_ascii=False).replace("<", "\\u003c"),
        "language_options": _language_options(lang),
    }

    def fill(match: re.Match[str]) -> str:
        raw, key = match.group(1), match.group(2)
        if raw:
            return values[key]
        return html.escape(words.get(key, key))

    return _PLACEHOLDER.sub(fill, _template(PAGES[page]))


def _language_options(current: str) -> str:
    options = []
    for code in LANGUAGES:
        name = html.escape(translations(code).get("_name", code))
        selected = " selected" if code == current else ""
        options.append(f'<option value="{code}" lang="{code}"{selected}>{name}</option>')
    return "".join(options)


def _zone(request: Request) -> str:
    runtime = getattr(request.app.state, "runtime", None)
    return str(runtime.config.zone) if runtime is not None else "Europe/Berlin"


def _page(
    request: Request, page: str, lang_query: str | None, cookie: str | None, accept: str | None
) -> HTMLResponse:
    runtime = getattr(request.app.state, "runtime", None)
    default = str(runtime.config.language) if runtime is not None else DEFAULT_LANGUAGE
    lang = choose_language(lang_query, cookie, accept, default)
    response = HTMLResponse(
        render(page, lang, _zone(request)), headers={"Content-Security-Policy": CSP}
    )
    response.headers["Content-Language"] = lang
    response.headers["Cache-Control"] = "no-cache"
    if lang_query == lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response


LangQuery = Annotated[str | None, Query(alias="lang", max_length=5)]
LangCookie = Annotated[str | None, Cookie(alias=LANG_COOKIE)]
AcceptLanguage = Annotated[str | None, Header(alias="Accept-Language")]


#: The pages: (path, template, route name, what it is for). Each is one template in the
#: visitor's language (query, cookie, then the browser's Accept-Language).
PAGE_ROUTES: tuple[tuple[str, str, str, str], ...] = (
    ("/", "rider", "rider_app", "The rider app: book, follow and cancel rides."),
    ("/console", "console", "console", "The hotline console: agents book for callers."),
    ("/ops", "ops", "ops", "The dispatcher view: the fleet, its plans and incidents."),
    ("/open", "open", "open_data", "The public open-data page: figures per day, village and rider group."),
    ("/proposals", "proposals", "proposals", "Residents propose stops and support proposals (agents too, for callers)."),
    ("/planning", "planning", "planning", "Planners (agents, admins): unmet demand on hexagons next to the proposals."),
)  # fmt: skip


def _page_route(template: str) -> Callable[..., Awaitable[Response]]:
    async def page(
        request: Request, q: LangQuery = None, c: LangCookie = None, a: AcceptLanguage = None
    ) -> Response:
        return _page(request, template, q, c, a)

    return page


def _add_page_routes() -> None:
    for path, template, name, doc in PAGE_ROUTES:
        router.add_api_route(
            path,
            _page_route(template),
            methods=["GET"],
            response_class=HTMLResponse,
            name=name,
            description=doc,
        )


_add_page_routes()


@router.get("/sw.js")
async def service_worker() -> Response:
    """At the site root so that it may control every page (its scope is ``/``)."""
    return FileResponse(
        STATIC / "sw.js",
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


@router.get("/manifest.webmanifest")
async def manifest() -> Response:
    return FileResponse(STATIC / "manifest.webmanifest", media_type=MEDIA[".webmanifest"])


@router.get("/static/{path:path}")
async def static(path: str) -> Response:
    file = _static_file(path)
    return FileResponse(file, media_type=MEDIA[file.suffix], headers={"Cache-Control": "no-cache"})


def _static_file(path: str) -> Path:
    """A file below ``web/static`` or ``web/i18n`` (as ``static/i18n/..``); nothing else."""
    root = WEB if path.startswith("i18n/") else STATIC
    file = (root / path).resolve()
    if not file.is_relative_to(root.resolve()) or not file.is_file() or file.suffix not in MEDIA:
        raise NotFoundError(f"no file {path}")
    return file
