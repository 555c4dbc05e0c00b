"""The pages without a browser: words complete in every language, direction, static files."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rider_api import errors, pages

KEY = re.compile(r"\{\{([a-z0-9_]+)\}\}")
JS_KEY = re.compile(r"\bt\(\"([a-z0-9_]+)\"")
PLACEHOLDER = re.compile(r"\{(\w+)\}")
#: A sentence says a place as {pickup_at}, {pickup_from} or {pickup_to}, as its grammar needs.
ROLE = re.compile(r"_(at|from|to)$")


def _placeholders(text: str) -> set[str]:
    return {ROLE.sub("", name) for name in PLACEHOLDER.findall(text)}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    app = FastAPI()
    errors.install(app)
    app.include_router(pages.router)
    with TestClient(app) as c:
        yield c


def _words(lang: str) -> dict[str, str]:
    return dict(json.loads((pages.WEB / "i18n" / f"{lang}.json").read_text("utf-8")))


@pytest.mark.parametrize("lang", pages.LANGUAGES)
def test_every_language_has_every_word_with_the_same_placeholders(lang: str) -> None:
    german, words = _words("de"), _words(lang)
    assert words.keys() == german.keys()
    for key, text in words.items():
        assert text.strip(), f"{lang}: {key} is empty"
        assert _placeholders(text) == _placeholders(german[key]), (lang, key)


def test_pages_and_scripts_use_only_known_words() -> None:
    known = _words("de").keys()
    used = set()
    for template in (pages.WEB / "templates").glob("*.html"):
        used |= set(KEY.findall(template.read_text("utf-8")))
    for script in pages.STATIC.glob("*.js"):
        used |= set(JS_KEY.findall(script.read_text("utf-8")))
    assert used, "no words found: the patterns are out of date"
    assert used - known == set()


@pytest.mark.parametrize(
    ("path", "lang", "direction"),
    [("/", "de", "ltr"), ("/console?lang=ar", "ar", "rtl"), ("/ops?lang=uk", "uk", "ltr")],
)
def test_page_comes_in_its_language_and_direction(
    client: TestClient, path: str, lang: str, direction: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert f'<html lang="{lang}" dir="{direction}"' in response.text
    assert "{{" not in response.text
    assert "script-src 'self'" in response.headers["content-security-policy"]


def test_language_choice_is_remembered_in_a_cookie(client: TestClient) -> None:
    first = client.get("/?lang=tr")
    assert first.cookies.get(pages.LANG_COOKIE) == "tr"
    assert '<html lang="tr"' in client.get("/").text
    client.cookies.clear()
    assert '<html lang="en"' in client.get("/", headers={"Accept-Language": "en-GB,en;q=0.8"}).text
    assert '<html lang="de"' in client.get("/", headers={"Accept-Language": "fr"}).text


def test_words_are_escaped_in_the_page() -> None:
    html = pages.render("rider", "de")
    words_json = html.split('<script type="application/json" id="words">')[1].split("</script>")[0]
    assert json.loads(words_json)["app_title"] == "Rufbus"


@pytest.mark.parametrize(
    "path",
    [
        "/static/../pages.py",
        "/static/..%2Fpages.py",
        "/static/nope.js",
        "/static/i18n/../../app.py",
    ],
)
def test_static_files_stay_inside_the_web_folder(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def test_static_files_and_pwa(client: TestClient) -> None:
    assert client.get("/static/rider.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/static/i18n/ar.json").json()["_dir"] == "rtl"
    manifest = client.get("/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    assert manifest.json()["start_url"] == "./"  # the app of the area it was loaded from
    worker = client.get("/sw.js")
    assert worker.headers["service-worker-allowed"] == "/"
