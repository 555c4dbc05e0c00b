"""Idempotency keys and the booking access token kept for a retry, without secrets at rest.

A booking's answer holds its access token. A retry with the same ``Idempotency-Key``
must get that same answer (the first one may have been lost on the way), yet the
database must not hold a usable token. So the key itself is stored only as its SHA-256,
and the token is encrypted (AES-GCM) with a key derived (HKDF) from the client's
Idempotency-Key: only a caller who presents the key again can open it — exactly the
caller who may replay the request through the API anyway.
"""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"rufbus idempotent booking access token v1"
_NONCE_BYTES = 12


def key_digest(idempotency_key: str) -> str:
    """What the ``idempotency_keys.key`` column holds for a client's key."""
    return hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()


def _cipher(idempotency_key: str, scope: str) -> AESGCM:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=scope.encode(), info=_INFO)
    return AESGCM(hkdf.derive(idempotency_key.encode("utf-8")))


def seal(token: str, idempotency_key: str, scope: str, resource_id: str) -> str:
    """``token`` encrypted for whoever knows ``idempotency_key`` (bound to the resource)."""
    nonce = os.urandom(_NONCE_BYTES)
    sealed = _cipher(idempotency_key, scope).encrypt(
        nonce, token.encode("utf-8"), resource_id.encode()
    )
    return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def unseal(sealed: str, idempotency_key: str, scope: str, resource_id: str) -> str | None:
    """The token again, or ``None`` if ``sealed`` was not made with this key and resource."""
    try:
        raw = base64.urlsafe_b64decode(sealed.encode("ascii"))
        plain = _cipher(idempotency_key, scope).decrypt(
            raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], resource_id.encode()
        )
    except (InvalidTag, ValueError):
        return None
    return plain.decode("utf-8")
