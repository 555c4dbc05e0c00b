"""A bounded OpenAPI fuzzing run (schemathesis) against a real server.

Every operation of the published OpenAPI document gets generated requests, valid and
invalid, with the administrator's token (which may do everything) and without it. The run
must end with 0 failures: no server error, no status the document does not list, every
content type, header and body as documented, invalid data refused, methods and ``Allow``
as documented. Left out is ``positive_data_acceptance``: the document cannot express
rules such as "inside the service area" or "within the prebooking horizon", so valid-looking
requests are rightly refused with 422 and a reason.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.service.conftest import ADMIN_TOKEN, stop_server
from tests.service.launch import osm_source, service_toml, start_service

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

EXAMPLES_PER_OPERATION = 15


def test_fuzzing_finds_no_server_error_and_no_undocumented_status(tmp_path: Path) -> None:
    config = tmp_path / "service.toml"
    config.write_text(service_toml(osm_source(), buses=2, period_s=3600))
    server = start_service(
        tmp_path, f"sqlite:///{tmp_path / 'fuzz.sqlite'}", config, tmp_path / "cache"
    )
    try:
        result = subprocess.run(
            [
                sys.executable, "-m", "schemathesis.cli", "run", f"{server.url}/openapi.json",
                "--checks", "all", "--exclude-checks", "positive_data_acceptance",
                "--max-examples", str(EXAMPLES_PER_OPERATION), "--seed", "13",
                "--header", f"Authorization: Bearer {ADMIN_TOKEN}",
                "--workers", "2", "--request-timeout", "10", "--no-color",
                "--generation-database", "none",
            ],
            capture_output=True, text=True, timeout=600, cwd=tmp_path,
        )  # fmt: skip
    finally:
        stop_server(server)
    summary = re.search(r"(\d+) generated, (\d+) (?:passed|found)[^\n]*", result.stdout)
    print(f"schemathesis: {summary.group(0) if summary else result.stdout[-500:]}")
    assert result.returncode == 0, result.stdout[-6000:]
    assert summary is not None and int(summary.group(1)) > 500
