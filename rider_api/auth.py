"""Who is calling: staff bearer tokens (admin, agent) and booking access tokens.

Staff tokens come from the service settings; only their hashes are kept in memory
after start-up, and a presented token is compared with every known hash in constant
time, so neither timing nor early exit reveals how much of a token was right.

Booking access tokens are handed to the rider once, at booking, and stored only as
a hash (the same scheme as the store's device tokens: ``dispatch.store.tokens``).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from dispatch.errors import AuthError, ForbiddenError
from dispatch.store.tokens import hash_token, new_token, token_matches

#: Tokens shorter than this are refused at start-up: they could be guessed.
MIN_TOKEN_CHARS = 16


class Role(StrEnum):
    ADMIN = "admin"
    AGENT = "agent"


@dataclass(frozen=True, slots=True)
class Principal:
    """A caller proven by a staff token. Admins may do everything agents may."""

    role: Role

    def allows(self, role: Role) -> bool:
        return self.role is Role.ADMIN or self.role is role


class StaffTokens:
    """The staff tokens of a service, held as hashes."""

    def __init__(self, admin: Iterable[str] = (), agents: Iterable[str] = ()) -> None:
        self._hashes: list[tuple[str, Role]] = []
        for role, tokens in ((Role.ADMIN, admin), (Role.AGENT, agents)):
            for token in tokens:
                if len(token) < MIN_TOKEN_CHARS:
                    raise ValueError(f"{role} tokens need at least {MIN_TOKEN_CHARS} characters")
                self._hashes.append((hash_token(token), role))

    def __len__(self) -> int:
        return len(self._hashes)

    def role_of(self, token: str | None) -> Role | None:
        """The role of ``token``; every known hash is compared, found or not."""
        if not token:
            return None
        presented = hash_token(token)
        found: Role | None = None
        for stored, role in self._hashes:
            if hmac.compare_digest(presented, stored) and found is None:
                found = role
        return found

    def principal(self, token: str | None) -> Principal | None:
        role = self.role_of(token)
        return None if role is None else Principal(role)


def require_role(principal: Principal | None, role: Role) -> Principal:
    """``principal`` if it may act as ``role``; else 401 (nobody) or 403 (too little)."""
    if principal is None:
        raise AuthError(f"this needs a valid {role} token (Authorization: Bearer ...)")
    if not principal.allows(role):
        raise ForbiddenError(f"this needs the {role} role")
    return principal


def new_access_token() -> str:
    """A fresh booking access token (shown to the rider once, never stored in clear)."""
    return new_token()


def hash_access_token(token: str) -> str:
    return hash_token(token)


def verify_access_token(token: str | None, stored_hash: str | None) -> bool:
    """Constant-time check of a presented booking token against its stored hash."""
    return bool(token) and token_matches(token or "", stored_hash)
