"""Open data: ``GET /v1/open/{month}`` (the figures as JSON, for the /open page) and
``GET /v1/open/{month}/datapackage.zip`` (the same package as ``dispatch open-data export``).

Public and without a token: everything published is aggregated and k-anonymous. A month
is computed once and kept for five minutes (a page view must not recount the history).
"""

from __future__ import annotations

import io
import threading
import time
import zipfile
from dataclasses import asdict
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from dispatch.opendata.export import MonthData, export_files, month_data, parse_month
from dispatch.service.runtime import Runtime
from rider_api.deps import _state
from rider_api.openapi import problems
from rider_api.schemas.open_data import OpenMonthPublic

router = APIRouter(prefix="/v1/open", tags=["open data"])
CACHE_S = 300
_cache: dict[str, tuple[float, MonthData]] = {}
_lock = threading.Lock()

MonthPath = Annotated[str, Path(pattern=r"^(\d{4}-\d{2}|current)$", examples=["2026-11"])]


def _runtime(request: Request) -> Runtime:
    runtime = _state(request, "runtime")
    assert isinstance(runtime, Runtime)
    return runtime


def _month(runtime: Runtime, month: str) -> MonthData:
    if month == "current":
        month = datetime.fromtimestamp(runtime.clock(), runtime.config.zone).strftime("%Y-%m")
    parse_month(month)
    with _lock:
        hit = _cache.get(month)
        if hit is not None and time.monotonic() - hit[0] < CACHE_S:
            return hit[1]
        data = month_data(runtime.repo, runtime.network, runtime.config, month)
        _cache[month] = (time.monotonic(), data)
        return data


@router.get("/{month}", response_model=OpenMonthPublic, responses=problems(422))
async def month_figures(request: Request, month: MonthPath) -> OpenMonthPublic:
    """The month's published tables (``current``: the service's month)."""
    runtime = _runtime(request)
    data = await run_in_threadpool(_month, runtime, month)
    p = runtime.config.publish
    return OpenMonthPublic.model_validate(
        {
            "month": data.month,
            "service": runtime.config.name,
            "k": p.k_anonymity,
            "licence": p.licence,
            "totals": None if data.totals is None else asdict(data.totals),
            "tables": {**data.tables.rows, "suppression": data.tables.suppression},
            "villages": data.villages,
        }
    )


@router.get(
    "/{month}/datapackage.zip",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}, **problems(422)},
)
async def month_package(request: Request, month: MonthPath) -> Response:
    runtime = _runtime(request)
    data = await run_in_threadpool(_month, runtime, month)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in export_files(data, runtime.config).items():
            archive.writestr(name, text)
    name = f"rufbus-open-data-{data.month}.zip"
    return Response(
        buffer.getvalue(),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
