"""Solver commands registered with the ``dispatch`` CLI."""

from dispatch.solver.darp_commands import register

__all__ = ["register"]
