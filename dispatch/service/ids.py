"""Identifiers for quotes and bookings: random, URL-safe, never reused."""

from __future__ import annotations

import secrets


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(9)}"
