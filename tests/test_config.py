from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from dispatch.config import WEEKDAYS, engine_params, load_service_config
from dispatch.errors import InputError
from dispatch.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
OSM = Path("/work/shared/data/osm/north-bayreuth.osm.gz")

MINIMAL = """
[[fleet.vehicles]]
id = "a"
seats = 4
depot = { lat = 50.0, lon = 11.5 }

[[fleet.shifts]]
vehicle = "a"
weekdays = "daily"
start = "06:00"
end = "20:00"
"""


def write(tmp_path: Path, text: str, name: str = "service.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(InputError) as info:
        load_service_config(path)
    return str(info.value)


def test_default_definition() -> None:
    config = load_service_config(None)
    assert len(config.fleet.vehicles) == 6
    assert all(v.seats == 8 and v.wheelchair_places == 1 for v in config.fleet.vehicles)
    monday = config.hours.on(0)
    assert monday is not None and monday.start == time(6)
    assert config.time_zone == "Europe/Berlin" and config.region.bbox is not None
    assert len(config.shifts_on(date(2026, 12, 6))) == 6
    s, w, n, e = config.region.bbox
    assert all(s < v.depot.lat < n and w < v.depot.lon < e for v in config.fleet.vehicles)


def test_default_region_follows_osm_source() -> None:
    config = load_service_config(None, osm_source=str(OSM))
    assert config.region.file == OSM


def test_example_file_loads() -> None:
    config = load_service_config(ROOT / "service.example.toml")
    assert [v.id for v in config.fleet.vehicles] == [f"bus-{i}" for i in range(1, 7)]
    assert config.fleet.shifts[0].breaks[0].start == time(12)
    assert config.fleet.shifts[4].runs_on(date(2026, 11, 30))  # a Monday
    assert not config.fleet.shifts[4].runs_on(date(2026, 11, 29))  # a Sunday
    params = engine_params(config)
    assert (params.max_wait_s, params.pickup_window_s, params.ride_time.extra_s) == (900, 600, 600)


def test_minimal_file_gets_defaults(tmp_path: Path) -> None:
    config = load_service_config(write(tmp_path, MINIMAL))
    vehicle = config.fleet.vehicles[0]
    assert vehicle.name == "a" and vehicle.device_token_generated
    assert len(vehicle.device_token.get_secret_value()) >= 16
    assert vehicle.device_token.get_secret_value() not in repr(vehicle)
    assert config.booking.prebooking_horizon_days == 7
    assert config.service_times.wheelchair_extra_s == 180
    assert all(config.hours.on(d) is not None for d in range(len(WEEKDAYS)))


def test_shift_instants_use_the_time_zone(tmp_path: Path) -> None:
    config = load_service_config(write(tmp_path, MINIMAL))
    ((_, start, end),) = config.shifts_on(date(2026, 7, 1))
    assert start == 1782878400  # 2026-07-01 06:00 CEST = 04:00 UTC
    assert end - start == 14 * 3600


def test_per_weekday_hours(tmp_path: Path) -> None:
    text = '[hours]\ndaily = ["06:00", "22:00"]\nsat = ["08:00", "20:00"]\nclosed = ["sun"]\n'
    config = load_service_config(write(tmp_path, text + MINIMAL))
    saturday = config.hours.on(5)
    assert saturday is not None and saturday.start == time(8)
    assert config.hours.on(6) is None


@pytest.mark.parametrize(
    ("original", "replacement", "message"),
    [
        ("seats = 4", "seats = 0", "fleet.vehicles[0].seats: must be ≥ 1"),
        ('start = "06:00"', 'start = "21:00"', "fleet.shifts[0]: ends (20:00) before it starts (21:00)"),
        ('vehicle = "a"', 'vehicle = "b"', "fleet: shifts name unknown vehicles: b"),
        ("lat = 50.0,", "lat = 95.0,", "fleet.vehicles[0].depot.lat: must be ≤ 90"),
        ('weekdays = "daily"', 'weekdays = ["someday"]', "fleet.shifts[0].weekdays[0]: Input should be"),
        ('start = "06:00"', 'start = "6 Uhr"', "fleet.shifts[0].start: not a time of day"),
    ],
)  # fmt: skip
def test_bad_values_are_named(
    tmp_path: Path, original: str, replacement: str, message: str
) -> None:
    path = write(tmp_path, MINIMAL.replace(original, replacement))
    assert error_of(path).startswith(f"{path}: {message}")


def test_a_bad_only_vehicle_is_one_problem_not_also_an_empty_fleet(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace("seats = 4", "seats = 0"))
    assert error_of(path).splitlines() == [f"{path}: fleet.vehicles[0].seats: must be ≥ 1"]
    empty = write(tmp_path, MINIMAL.split("[[fleet.vehicles]]")[0] + "[fleet]\nvehicles = []\n")
    assert "fleet.vehicles: " in error_of(empty), "an empty list is still named"


def test_several_problems_are_all_reported(tmp_path: Path) -> None:
    text = 'time_zone = "Mars/Olympus"\nspeed = 3\n[booking]\nmax_wait_min = 0\n' + MINIMAL
    lines = error_of(write(tmp_path, text)).splitlines()
    assert any("time_zone: unknown time zone 'Mars/Olympus'" in line for line in lines)
    assert any(line.endswith("speed: unknown field") for line in lines)
    assert any(line.endswith("booking.max_wait_min: must be ≥ 1") for line in lines)


def test_region_needs_one_source(tmp_path: Path) -> None:
    text = '[region]\nplace = "Harsdorf"\nbbox = [50.0, 11.4, 50.1, 11.6]\n' + MINIMAL
    assert "region: give exactly one of file, place and bbox" in error_of(write(tmp_path, text))


def test_broken_and_missing_files(tmp_path: Path) -> None:
    assert "not valid TOML" in error_of(write(tmp_path, "name = "))
    assert "cannot read" in error_of(tmp_path / "nope.toml")
    assert "fleet: required" in error_of(write(tmp_path, 'name = "x"\n'))


def test_extra_stops_from_csv(tmp_path: Path) -> None:
    write(tmp_path, "id,name,lat,lon\ns1,Kirche,50.02,11.55\ns2,Schule,50.03,11.56\n", "s.csv")
    config = load_service_config(write(tmp_path, '[stops]\ncsv = "s.csv"\n' + MINIMAL))
    assert config.stops.csv == tmp_path / "s.csv"
    assert [s.id for s in config.stops.extra] == ["s1", "s2"]


def test_bad_csv_lines_are_reported_by_line(tmp_path: Path) -> None:
    csv = "id,name,lat,lon\ns1,Kirche,50.02,11.55\ns2,,north,11.56\ns1,Again,50,11\n"
    csv_path = write(tmp_path, csv, "s.csv")
    message = error_of(write(tmp_path, '[stops]\ncsv = "s.csv"\n' + MINIMAL))
    assert f"{csv_path}:3: name: empty" in message
    assert f"{csv_path}:3: lat: not a number" in message
    assert f"{csv_path}:4: id: 's1' is used twice" in message
    write(tmp_path, "id,name,latitude\n", "s.csv")
    assert "missing columns lat, lon" in error_of(tmp_path / "service.toml")


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    assert Settings().database_url == f"sqlite:///{tmp_path / 'data' / 'dispatch.sqlite'}"
    monkeypatch.setenv("DISPATCH_DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("DISPATCH_PORT", "9000")
    monkeypatch.setenv("DISPATCH_LOG_LEVEL", "debug")
    monkeypatch.setenv("DISPATCH_AGENT_TOKENS", "tok-a, tok-b")
    monkeypatch.setenv("DISPATCH_OSM_SOURCE", str(OSM))
    settings = Settings()
    assert (settings.database_url, settings.port, settings.log_level) == (
        "postgresql://u@h/db", 9000, "DEBUG")  # fmt: skip
    assert [t.get_secret_value() for t in settings.agent_tokens] == ["tok-a", "tok-b"]
    assert settings.osm_source == str(OSM) and settings.admin_token is None


def test_a_bad_setting_is_one_line_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    from dispatch.settings import load_settings

    monkeypatch.setenv("DISPATCH_PORT", "abc")
    with pytest.raises(InputError, match=r"^DISPATCH_PORT: .*integer") as error:
        load_settings()
    assert "\n" not in str(error.value)


def test_serve_refuses_a_port_another_program_holds() -> None:
    import socket

    from dispatch.service.serve import _check_free

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(InputError, match=f"127.0.0.1:{port} .*--port"):
            _check_free("127.0.0.1", port)
    _check_free("127.0.0.1", port)  # free again: no error


@pytest.mark.parametrize("code", ['"0"', '"4x"', '"1234"', "43"])
def test_a_bad_phone_country_code_is_named(tmp_path: Path, code: str) -> None:
    path = write(tmp_path, f"phone_country_code = {code}\n" + MINIMAL)
    assert "phone_country_code" in error_of(path)


def test_the_phone_country_code_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, 'phone_country_code = "43"\n' + MINIMAL)
    assert load_service_config(path).phone_country_code == "43"
