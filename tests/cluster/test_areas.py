"""Three service areas served at once by one deployment: north-bayreuth, krems and a
third extract (the Neudrossenfeld part of north-bayreuth, clipped at run time), each
with its own fleet, engine and database schema, behind one API port."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from dispatch.roads.network import OsmSource, load_road_network
from tests.cluster.conftest import RedisServer
from tests.cluster.shape import area_toml, clip_extract, make_shape
from tests.databases import PG_ENV
from tests.service.conftest import AGENT_TOKEN

pytestmark = [
    pytest.mark.realdata,
    pytest.mark.slow,
    pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} not set"),
]

KREMS_DEPOTS = ((48.4108382, 15.6003717), (48.411111, 15.663562))
NEUDROSSENFELD = (49.98, 11.47, 50.04, 11.54)
NEUDROSSENFELD_DEPOTS = ((50.0185111, 11.5017849), (49.9860761, 11.5078916))


def test_three_areas_each_with_its_own_fleet_behind_one_port(
    tmp_path: Path, redis_server: RedisServer, browser: Any
) -> None:
    north = os.environ.get("DISPATCH_TEST_OSM")
    if not north:
        pytest.skip("DISPATCH_TEST_OSM is not set (real OSM extract)")
    krems = Path(north).with_name("krems.osm.gz")
    if not krems.exists():
        pytest.skip(f"{krems} not found (the shared krems extract)")
    third = tmp_path / "neudrossenfeld.osm"
    clip_extract(Path(north), third, NEUDROSSENFELD)
    shape = make_shape(
        tmp_path,
        os.environ[PG_ENV],
        redis_server.url,
        [(north, "north", 3), (str(krems), "krems", 2), (str(third), "neudr", 2)],
    )
    krems_area, neudr_area = shape.areas[1], shape.areas[2]
    krems_toml = _with_depots(area_toml(str(krems), krems_area, 2), KREMS_DEPOTS)
    krems_toml = krems_toml.replace(
        f'area = "{krems_area}"', f'area = "{krems_area}"\ntime_zone = "Europe/Vienna"', 1
    )
    (tmp_path / f"{krems_area}.toml").write_text(krems_toml)
    neudr_toml = _with_depots(area_toml(str(third), neudr_area, 2), NEUDROSSENFELD_DEPOTS)
    (tmp_path / f"{neudr_area}.toml").write_text(neudr_toml)
    cache = tmp_path / "cache"
    for source in (Path(north), krems, third):  # compiled once, before the processes start
        load_road_network(OsmSource(path=source), cache_dir=cache)
    try:
        for area in shape.areas:
            shape.engine(f"engine-{area}", area)
        api = shape.api("api", workers=2, timeout_s=120)
        booked = {}
        for area in shape.areas:
            base = f"{api.url}/areas/{area}"
            _wait_ready(base)
            booked[area] = _book(base)
        # each booking lives in its area only, and the root is the first area
        headers = {"Authorization": f"Bearer {AGENT_TOKEN}"}
        for area, booking_id in booked.items():
            for other in shape.areas:
                got = httpx.get(
                    f"{api.url}/areas/{other}/v1/bookings/{booking_id}", headers=headers
                )
                assert got.status_code == (200 if other == area else 404), (area, other)
        root = httpx.get(f"{api.url}/v1/bookings/{booked[shape.areas[0]]}", headers=headers)
        assert root.status_code == 200
        for area in shape.areas:  # each area counts its own bookings, on every worker
            for _ in range(4):
                text = httpx.get(f"{api.url}/areas/{area}/metrics").text
                line = f'dispatch_booking_attempts_total{{area="{area}",result="confirmed"}} 1.0'
                assert line in text, text[-1500:]
        listed = httpx.get(f"{api.url}/v1/areas").json()
        assert [(a["area"], a["url"]) for a in listed] == [(a, f"/areas/{a}/") for a in shape.areas]
        assert listed[1]["name"] == f"Test {shape.areas[1]}"
        _areas_by_where_the_trip_starts(api.url, shape.areas)
        _each_area_lists_them(api.url, shape.areas, listed)
        for a in shape.areas:  # the dispatcher view and the console of each area
            for page in ("ops", "console"):
                shown = httpx.get(f"{api.url}/areas/{a}/{page}")
                assert shown.status_code == 200 and 'id="area-choice"' in shown.text
        _switch_areas_in_the_dispatcher_view(browser, api.url, shape.areas)
        _a_driver_of_another_area_signs_in(browser, api.url, krems_area)
        health = {a: httpx.get(f"{api.url}/areas/{a}/v1/health").json() for a in shape.areas}
        assert [h["vehicles"] for h in health.values()] == [9, 6, 6]  # 3 days of shifts each
    finally:
        shape.stop_all()
        shape.drop()


def _each_area_lists_them(url: str, areas: list[str], listed: list[dict[str, Any]]) -> None:
    """Each area's API lists the areas too (its pages ask there), and has its docs."""
    for a in areas:
        assert httpx.get(f"{url}/areas/{a}/v1/areas").json() == listed
        assert httpx.get(f"{url}/areas/{a}/docs").status_code == 200


def _areas_by_where_the_trip_starts(url: str, areas: list[str]) -> None:
    """The areas whose roads reach a point; a quote that starts in another area says which."""
    north, krems, neudr = areas

    def reaching(lat: float, lon: float) -> list[str]:
        found = httpx.get(f"{url}/v1/areas", params={"lat": lat, "lon": lon})
        assert found.status_code == 200, found.text
        return [a["area"] for a in found.json()]

    assert reaching(*KREMS_DEPOTS[0]) == [krems]
    assert reaching(*NEUDROSSENFELD_DEPOTS[0]) == [north, neudr]  # the clip lies in north
    assert reaching(52.52, 13.40) == []  # Berlin: no area here
    for bad in ({"lat": 48.41}, {"lat": 91, "lon": 15.6}, {"lat": "x", "lon": 1}):
        assert httpx.get(f"{url}/v1/areas", params=bad).status_code == 422, bad
    lat, lon = KREMS_DEPOTS[1]
    body = {
        "origin": {"lat": lat, "lon": lon},
        "destination": {"lat": lat + 0.005, "lon": lon},
        "depart_after": _tomorrow_at(10),
    }
    quote = httpx.post(f"{url}/areas/{north}/v1/quotes", json=body, timeout=30)
    assert quote.status_code == 422, quote.text
    detail = quote.json()["detail"]
    assert (
        f"starts in service area {krems!r}, not in this one: book it at /areas/{krems}/" in detail
    )
    n_lat, n_lon = NEUDROSSENFELD_DEPOTS[0]
    body["origin"] = {"lat": n_lat, "lon": n_lon}  # from north to krems
    quote = httpx.post(f"{url}/areas/{north}/v1/quotes", json=body, timeout=30)
    assert quote.status_code == 422, quote.text
    detail = quote.json()["detail"]
    assert f"destination is in service area {krems!r}" in detail
    assert "between service areas are not offered" in detail


def _tomorrow_at(hour: int) -> str:
    from tests.cluster.test_production_shape import _tomorrow

    return _tomorrow(hour)


def _a_driver_of_another_area_signs_in(browser: Any, url: str, area: str) -> None:
    """The driver page under /areas/NAME/ talks to that area's stream, not the root's."""
    page = browser.new_page(base_url=url)
    sockets: list[str] = []
    frames: list[str] = []

    def watch(ws: Any) -> None:
        sockets.append(ws.url)
        ws.on("framereceived", lambda payload: frames.append(str(payload)))

    page.on("websocket", watch)
    try:
        page.goto(f"/areas/{area}/driver#vehicle=bus-1&token=device-token-bus-1")
        deadline = time.monotonic() + 20
        while not any('"welcome"' in f for f in frames):
            assert time.monotonic() < deadline, (sockets, frames)
            page.wait_for_timeout(100)
        assert sockets and all(f"/areas/{area}/v1/vehicles/bus-1/stream" in u for u in sockets)
    finally:
        page.close()


def _switch_areas_in_the_dispatcher_view(browser: Any, url: str, areas: list[str]) -> None:
    """The dispatcher signs in in one area, chooses another: the page asks that area."""
    page = browser.new_page(base_url=url)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    try:
        page.goto(f"/areas/{areas[0]}/ops")
        page.fill("#token", AGENT_TOKEN)
        page.press("#token", "Enter")
        page.wait_for_selector("#area-choice:not([hidden])")
        options = page.eval_on_selector_all("#area option", "os => os.map(o => o.value)")
        assert options == areas
        assert page.input_value("#area") == areas[0]
        page.select_option("#area", areas[2])
        page.wait_for_url(f"**/areas/{areas[2]}/ops")
        deadline = time.monotonic() + 20
        while not any(f"/areas/{areas[2]}/v1/" in u for u in asked):  # asks the new area
            assert time.monotonic() < deadline, asked
            page.wait_for_timeout(100)
        page.wait_for_selector("#area-choice:not([hidden])")
        assert page.input_value("#area") == areas[2]
        assert any(f"/areas/{areas[0]}/v1/ops/fleet" in u for u in asked)
    finally:
        page.close()


def _with_depots(toml: str, depots: tuple[tuple[float, float], ...]) -> str:
    """The buses of ``toml`` (bus-1, bus-2, …) start at ``depots`` instead."""
    for k, (lat, lon) in enumerate(depots):
        old = toml.split(f'id = "bus-{k + 1}"')[1].split("depot = ")[1].split("\n")[0]
        toml = toml.replace(old, f"{{ lat = {lat}, lon = {lon} }}", 1)
    return toml


def _wait_ready(base: str, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while httpx.get(f"{base}/readyz", timeout=5).status_code != 200:
        assert time.monotonic() < deadline, httpx.get(f"{base}/readyz").text
        time.sleep(0.3)


def _book(base: str) -> str:
    stops = httpx.get(f"{base}/v1/stops", timeout=10).json()
    assert len(stops) >= 2
    tomorrow = httpx.get(f"{base}/v1/health").json()  # the area answers
    assert tomorrow["status"] == "ok"
    from tests.cluster.test_production_shape import _tomorrow

    body = {
        "origin": {"stop_id": stops[0]["stop_id"]},
        "destination": {"stop_id": stops[-1]["stop_id"]},
        "depart_after": _tomorrow(10),
    }
    quote = httpx.post(f"{base}/v1/quotes", json=body, timeout=30)
    assert quote.status_code == 200 and quote.json()["offers"], quote.text
    offer = quote.json()["offers"][0]["offer_id"]
    answer = httpx.post(
        f"{base}/v1/bookings",
        json={"offer_id": offer, "rider": {"name": "Area rider"}},
        headers={"Idempotency-Key": f"area-{offer}"},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["booking_id"])
