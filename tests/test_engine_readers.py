"""Nothing outside the engine reads the engine's live state: readers read published views.

The engine thread is the single writer of the live state (``dispatch/engine``). HTTP
handlers, the plan publisher and the dispatcher's view run in other threads and read the
immutable views the engine thread publishes (``dispatch.engine.views``). This scan of the
source finds the ways code could reach the live state anyway:

- importing the ``Engine`` class or the mutable state (``dispatch.engine.state``);
- reading a state attribute (``vehicles``, ``trips``, ...) of an engine: an expression
  called ``engine`` or ``….engine``, or a name bound to one (``e = runtime.runner.engine``),
  or a parameter annotated ``Engine``;
- ``getattr(x, "vehicles")`` and the like, with the name as a string.

The replay is the one exception: it drives its own engine in its own single thread (it
*is* that engine's thread), and the runtime builds the engine and hands it to its thread.
``tests/engine/test_thread_guard.py`` checks the same at run time.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("dispatch", "rider_api", "driver_api")
#: The engine's live state and what computes answers from it.
STATE = frozenset(
    {
        "vehicles",
        "trips",
        "offers",
        "solving",
        "state_version",
        "table",
        "params",
        "open_trips",
        "unplaced",
        "live_snapshot",
        "current_plan",
        "next_solve_due",
        "handle",
    }
)
#: Modules that drive an engine in their own thread (the replay) or build one for its thread.
OWNERS = {
    "dispatch/sim/replay.py": STATE,  # the replay's thread is its engine's thread
    "dispatch/service/runtime.py": frozenset(),  # builds the engine, reads nothing of it
}
MUTABLE_STATE_MODULES = ("dispatch.engine.state", "dispatch.engine.engine")


def _is_engine(node: ast.expr, bound: set[str]) -> bool:
    if isinstance(node, ast.Name):
        return node.id == "engine" or node.id in bound
    if isinstance(node, ast.Attribute):
        return node.attr in ("engine", "_engine")
    return False


def _engine_names(tree: ast.AST) -> set[str]:
    """Names bound to an engine: ``x = <engine>``, ``x: Engine``, ``def f(x: Engine)``."""
    bound: set[str] = set()
    changed = True
    while changed:
        changed = False
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Assign) and _is_engine(node.value, bound):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            elif isinstance(node, ast.arg | ast.AnnAssign) and _annotated_engine(node.annotation):
                target = node.arg if isinstance(node, ast.arg) else getattr(node.target, "id", "")
                names = [target]
            elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Engine":
                continue
            new = set(names) - bound
            if new:
                bound |= new
                changed = True
    return bound


def _annotated_engine(annotation: ast.expr | None) -> bool:
    if annotation is None:
        return False
    text = ast.unparse(annotation)
    return text.split(".")[-1].strip("'\"") == "Engine"


def violations(root: Path = ROOT) -> list[str]:
    """Every place outside ``dispatch/engine`` that reaches the engine's live state."""
    found: list[str] = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            if rel.startswith("dispatch/engine/"):
                continue
            tree = ast.parse(path.read_text("utf-8"))
            found += [f"{rel}:{line}: {what}" for line, what in _scan(tree, OWNERS.get(rel))]
    return found


def _scan(tree: ast.AST, allowed: frozenset[str] | None) -> list[tuple[int, str]]:
    bound = _engine_names(tree)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in MUTABLE_STATE_MODULES:
            if allowed is None:
                found.append((node.lineno, f"imports {node.module}"))
        elif isinstance(node, ast.Attribute) and node.attr in STATE:
            if _is_engine(node.value, bound) and node.attr not in (allowed or frozenset()):
                found.append((node.lineno, f"reads {ast.unparse(node)}"))
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "getattr":
            name = node.args[1] if len(node.args) > 1 else None
            if isinstance(name, ast.Constant) and name.value in STATE and allowed is None:
                found.append((node.lineno, f"getattr(..., {name.value!r})"))
    return sorted(found)


def test_the_scan_finds_each_way_in() -> None:
    source = """
from dispatch.engine.state import VehicleState
def a(runtime):
    return len(runtime.engine.vehicles)
def b(runtime):
    e = runtime.runner.engine
    return e.trips
def c(x: Engine):
    return x.solving
def d(runtime):
    return getattr(runtime.runner.engine, "offers")
def fine(runtime):
    return runtime.views.current.trips, runtime.repo.trips
"""
    found = [what for _, what in _scan(ast.parse(source), None)]
    assert found == [
        "imports dispatch.engine.state",
        "reads runtime.engine.vehicles",
        "reads e.trips",
        "reads x.solving",
        "getattr(..., 'offers')",
    ], found


def test_nothing_outside_the_engine_reads_its_live_state() -> None:
    assert violations() == []
