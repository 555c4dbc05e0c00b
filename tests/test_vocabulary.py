"""One vocabulary: shift ids are built and read in one place, breaks are a stop kind,
and the replay's trajectory checker keeps its own ride-time arithmetic."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("dispatch", "rider_api", "driver_api")
#: Ways of taking an id apart by hand or telling a break by its id.
BY_HAND = re.compile(
    r"""(split|partition|rpartition)\(\s*["']@["']|["']@["']\s+in\b|startswith\(\s*["']break"""
)


def _sources() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def test_the_pattern_finds_ids_taken_apart_by_hand() -> None:
    for line in ('x.split("@")[0]', "a.partition('@')", 'if "@" in vid:', 'b.startswith("break-")'):
        assert BY_HAND.search(line), line
    assert not BY_HAND.search("shift_id(vehicle, day)")


def test_no_module_takes_shift_or_break_ids_apart() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{k}: {line.strip()}"
        for path in _sources()
        for k, line in enumerate(path.read_text().splitlines(), start=1)
        if BY_HAND.search(line)
    ]
    assert found == []


def test_the_trajectory_checker_shares_no_planner_code() -> None:
    """It checks what the dispatcher did, so it must not reuse the dispatcher's formulas."""
    tree = ast.parse((ROOT / "dispatch" / "sim" / "trajectory.py").read_text())
    imported = {
        node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    planner = {
        m
        for m in imported
        if m.startswith(("dispatch.solver", "dispatch.engine", "dispatch.model"))
    }
    assert planner == set()
