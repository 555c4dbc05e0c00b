"""The whole suite with one command: real data and PostgreSQL are found by default.

``pytest`` from the repository root runs every test it can. Tests that need the shared real
data (an OpenStreetMap extract, the Cordeau dial-a-ride instances) or PostgreSQL read
``DISPATCH_TEST_OSM``, ``DISPATCH_TEST_DARP_DIR`` and ``DISPATCH_TEST_DATABASE_URL``; where
one is not set, this file looks for the project's shared data next to the repository
(``../shared``) and for a PostgreSQL on 127.0.0.1:5432 (database ``test``, no password, as
in CI) and sets it. Whatever is still missing is skipped, and the end of the run says
what was skipped and how to include it.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
#: Chromium's own connections (updates, sync, ...) would be refused here: switch them off.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHARED = ROOT.parent / "shared" / "data"
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"

#: What a skip reason means and how to include those tests (matched on the reason's text).
HINTS = (
    ("DISPATCH_TEST_OSM", "real OpenStreetMap data: set DISPATCH_TEST_OSM to an extract "
     "(e.g. ../shared/data/osm/north-bayreuth.osm.gz)"),
    ("DISPATCH_TEST_DARP_DIR", "the Cordeau dial-a-ride instances: set DISPATCH_TEST_DARP_DIR "
     "(e.g. ../shared/data/darp/cordeau)"),
    ("DISPATCH_TEST_DATABASE_URL", "PostgreSQL: start it on 127.0.0.1:5432 with a database "
     "'test', or set DISPATCH_TEST_DATABASE_URL"),
    ("chromium", "the browser tests: install Debian's chromium (/usr/bin/chromium)"),
)  # fmt: skip

_found: dict[str, str] = {}


def _default(name: str, value: str | None, what: str) -> None:
    if os.environ.get(name) or value is None:
        return
    os.environ[name] = value
    _found[name] = f"{what}: {value}"


def _postgres(url: str) -> str | None:
    """``url`` if a PostgreSQL answers there within two seconds."""
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=2):
            return url
    except Exception:  # any failure means: not available for the tests
        return None


def find_defaults() -> None:
    """Run when this file is imported: before any other conftest reads the variables."""
    osm = SHARED / "osm" / "north-bayreuth.osm.gz"
    darp = SHARED / "darp" / "cordeau"
    _default("DISPATCH_TEST_OSM", str(osm) if osm.is_file() else None, "real map data")
    _default(
        "DISPATCH_TEST_DARP_DIR", str(darp) if (darp / "a2-16.txt").is_file() else None, "DARP"
    )
    if not os.environ.get("DISPATCH_TEST_DATABASE_URL"):
        _default("DISPATCH_TEST_DATABASE_URL", _postgres(DEFAULT_DATABASE_URL), "PostgreSQL")


find_defaults()


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [f"found by default: {line}" for line in _found.values()]


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """What was skipped, grouped by why, with how to include it."""
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    reasons: Counter[str] = Counter()
    for report in skipped:
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reasons[reason.removeprefix("Skipped: ")] += 1
    terminalreporter.section("what was skipped and why")
    for reason, count in reasons.most_common():
        hint = next((h for key, h in HINTS if key.lower() in reason.lower()), None)
        line = f"{count:4d} skipped: {reason}"
        terminalreporter.write_line(line + (f"\n       to include them: {hint}" if hint else ""))


# One Chromium per test module (the browser tests and the production shape's page test):
# Playwright's sync API runs an event loop in the main thread while it is open, so it is
# closed again before other modules' tests (which run their own loops) start.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(
                "/usr/bin/chromium is missing in CI: .ci/run should install Debian's chromium"
            )
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium); .ci/run installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()
