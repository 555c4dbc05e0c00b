"""The Cordeau format, and a small instance solved end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dispatch.errors import InputError
from dispatch.solver.darp import SCALE, parse_darp, to_snapshot
from dispatch.solver.darp_commands import instance_name, solve_instance
from dispatch.solver.validate import validate_plan

TINY = """1 2 480 3 30
0 0.0 0.0 0 0 0 480
1 1.0 0.0 3 1 0 1440
2 2.0 0.0 3 2 10 30
3 3.0 0.0 3 -1 0 60
4 4.0 0.0 3 -2 0 1440
5 0.0 0.0 0 0 0 480
"""


def _darp_dir() -> Path:
    value = os.environ.get("DISPATCH_TEST_DARP_DIR")
    path = (
        Path(value) if value else Path(__file__).resolve().parents[3] / "shared/data/darp/cordeau"
    )
    if not (path / "a2-16.txt").exists():
        pytest.skip("Cordeau instances not available (DISPATCH_TEST_DARP_DIR)")
    return path


def test_parse_and_convert() -> None:
    inst = parse_darp("tiny", TINY)
    assert (inst.vehicles, inst.requests, inst.capacity) == (1, 2, 3)
    assert inst.load == [0, 1, 2, -1, -2, 0]
    snap = to_snapshot(inst)
    assert snap.requests[1].load == (2, 0)
    assert snap.requests[1].pickup_window.start == 10 * SCALE
    assert snap.travel_s[0, 4] == 4 * SCALE
    assert snap.vehicles[0].max_duration_s == 480 * SCALE


def test_the_variant_that_counts_nodes_and_leaves_out_the_end_depot() -> None:
    """Some collections write '1 4 …' (2n nodes) and stop after the last drop-off."""
    variant = TINY.replace("1 2 480 3 30", "1 4 480 3 30").replace("5 0.0 0.0 0 0 0 480\n", "")
    inst, plain = parse_darp("variant", variant), parse_darp("tiny", TINY)
    assert inst.requests == 2 and inst.load == plain.load and inst.xy == plain.xy
    assert inst.windows == plain.windows


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("1 2 480 3\n", "expected 'K n T Q L'"),
        (TINY.replace("3 3.0 0.0 3 -1 0 60", "3 3.0 0.0 3 -1 0"), "expected 7 values"),
        (TINY.replace("2 2.0", "7 2.0"), "node id 7, expected 2"),
        (TINY.replace("3 -1 0 60", "3 -1 70 60"), "window ends before it starts"),
        (TINY.replace("3 -1 0 60", "3 -2 0 60"), "must be opposite"),
        (TINY.replace("1.0 0.0 3 1", "x 0.0 3 1"), "not a number"),
        (TINY + "6 0 0 0 0 0 1\n", "expected 6 node lines"),
    ],
)
def test_bad_files(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_darp("bad", text)


def test_small_instance_end_to_end() -> None:
    path = _darp_dir() / "a2-16.txt"
    inst = parse_darp("a2-16", path.read_text())
    run = solve_instance(inst, time_limit_s=2.0, seed=1)
    assert run.feasible and run.violations == 0
    assert validate_plan(to_snapshot(inst), _plan(inst)) == []
    bks = json.loads((path.parent / "bks.json").read_text())["a2-16"]
    assert run.cost >= bks - 0.005  # never below the proven optimum (given to the cent)
    nodes = sorted(s["node"] for r in run.routes for s in r["stops"] if 0 < s["node"] < 33)  # type: ignore[index]
    assert nodes == list(range(1, 33))


def _plan(inst):  # type: ignore[no-untyped-def]
    from dispatch.solver.darp_commands import DARP_OBJECTIVE
    from dispatch.solver.improve import ImproveParams, solve

    return solve(
        to_snapshot(inst), DARP_OBJECTIVE, 0.5, seed=2, improve=ImproveParams(use_ortools=False)
    ).plan


def test_bench_command_writes_checkable_json(tmp_path: Path) -> None:
    darp = _darp_dir()
    out = tmp_path / "out.json"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from dispatch.cli import main; main()",
            "bench",
            "darp",
            str(darp / "a2-16.txt"),
            "--time-limit",
            "1",
            "--bks",
            str(darp / "bks.json"),
            "--json",
            str(out),
            "--workers",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "mean gap:" in result.stdout and "feasible: 1/1" in result.stdout
    data = json.loads(out.read_text())["instances"][0]
    assert data["feasible"] and data["routes"][0]["stops"][0]["node"] == 0


def test_bench_command_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "x.txt"
    bad.write_text("nonsense\n")
    result = subprocess.run(
        [sys.executable, "-c", "from dispatch.cli import main; main()", "bench", "darp", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: x: line 1")


def test_an_instance_is_named_by_its_header_class() -> None:
    """../shared's a7-70.txt holds b7-70 (capacity 6, maximum ride 45): it must not be
    compared with a7-70's best known cost."""
    darp = _darp_dir()
    shipped = parse_darp("a7-70", (darp / "a7-70.txt").read_text())
    assert instance_name("a7-70", shipped) == "b7-70"
    really_a = parse_darp("a2-16", (darp / "a2-16.txt").read_text())
    assert instance_name("a2-16", really_a) == "a2-16"
    assert instance_name("b2-16", really_a) == "a2-16"
    assert instance_name("my-day", shipped) == "my-day"  # not one of Cordeau's names
    tiny = parse_darp("a1-2", TINY)  # capacity 3 but maximum ride 30: an "a" header
    assert instance_name("a1-2", tiny) == "a1-2"
