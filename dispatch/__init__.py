"""Rufbus dispatch: the core of an on-demand rural bus service."""

__version__ = "0.1.0"
