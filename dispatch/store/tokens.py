"""Secrets are stored only as hashes: booking access tokens and vehicle device tokens.

The tokens are long random strings (``new_token``), so one SHA-256 is enough; a slow
password hash would only slow down every websocket handshake.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(24)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str, stored_hash: str | None) -> bool:
    """Constant-time comparison of a presented token with a stored hash."""
    return stored_hash is not None and hmac.compare_digest(hash_token(token), stored_hash)
