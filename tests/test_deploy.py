"""The deployment examples in deploy/ hang together: every engine runs an area the
deployment file has, and the processes are started with commands that exist."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from typer.testing import CliRunner

from dispatch.cli import build_cli
from dispatch.deployment import load_deployment
from dispatch.settings import Settings

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def test_compose_engines_run_the_areas_of_the_deployment() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    deployment = load_deployment(DEPLOY / "areas" / "deployment.toml", Settings())
    areas = {a.area for a in deployment.areas}
    engines = [s for name, s in compose["services"].items() if name.startswith("engine-")]
    ran = [s["command"][s["command"].index("--area") + 1] for s in engines]
    assert sorted(set(ran)) == sorted(areas)
    assert all(ran.count(a) == 2 for a in areas)  # a leader and a hot standby each
    assert compose["services"]["api"]["command"][0] == "api"


def test_systemd_units_call_real_commands_with_real_options() -> None:
    cli = CliRunner()
    app = build_cli().app
    for unit in (DEPLOY / "systemd").glob("*.service"):
        line = re.search(r"^ExecStart=\S+/dispatch (.+)$", unit.read_text(), re.M)
        assert line is not None, unit
        args = line.group(1).replace("%i", "north-bayreuth").split()
        command, options = args[0], {a for a in args[1:] if a.startswith("--")}
        shown = cli.invoke(app, [command, "--help"], terminal_width=200)
        assert shown.exit_code == 0, (unit, shown.output)
        assert all(o in shown.output for o in options), (unit, options, shown.output)
