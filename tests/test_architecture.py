"""No import cycles between the project's modules, not even through imports made only for
type checking: each module can be read, tested and changed without the ones that import it.
Between packages (``dispatch.engine``, ``dispatch.service``, ``rider_api``, ...) neither."""

from __future__ import annotations

import grimp


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that import each other, directly or through others (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return groups


def test_the_finder_finds_a_cycle() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(edges) == [["a", "b", "c"]]


def _module_edges() -> dict[str, set[str]]:
    graph = grimp.build_graph(
        "dispatch", "rider_api", "driver_api", exclude_type_checking_imports=False, cache_dir=None
    )
    modules = set(graph.modules)
    return {m: set(graph.find_modules_directly_imported_by(m)) & modules for m in modules}


def _package(module: str) -> str:
    """``dispatch.engine.views`` → ``dispatch.engine``; ``rider_api.ops`` → ``rider_api``."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "dispatch" else parts[0]


def test_no_import_cycles() -> None:
    assert _cycles(_module_edges()) == []


#: The modules that build the running service from the core and both APIs (``dispatch
#: serve`` and the production shape's API workers; see the import contracts in
#: pyproject.toml): their imports of the APIs are no package cycle.
COMPOSITION_ROOTS = ("dispatch.service.serve", "dispatch.cluster.api_app")
#: Package cycles still being taken apart (none left: the replay's fairness figures moved
#: into dispatch.sim, so dispatch.fairness no longer imports the replay).
KNOWN_PACKAGE_CYCLES: list[list[str]] = []


def test_no_import_cycles_between_packages() -> None:
    edges: dict[str, set[str]] = {}
    for module, imported in _module_edges().items():
        edges.setdefault(_package(module), set())
        for other in imported:
            edges.setdefault(_package(other), set())
            if module in COMPOSITION_ROOTS and _package(other) in ("rider_api", "driver_api"):
                continue
            if _package(other) != _package(module):
                edges[_package(module)].add(_package(other))
    assert [c for c in _cycles(edges) if c not in KNOWN_PACKAGE_CYCLES] == []
