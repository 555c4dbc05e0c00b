"""FastAPI dependencies as ``Annotated`` aliases (``CurrentAgent``, ``SearchDep``, ...).

Everything a router needs comes from ``app.state`` through these functions, set up
once at start-up by the composition root::

    app.state.staff_tokens = StaffTokens(admin=[...], agents=[...])
    app.state.search_index = SearchIndex(entries)
    app.state.stops = [...]          # objects with id, name, lat, lon
    app.state.time_zone = ZoneInfo("Europe/Berlin")
    app.state.runtime = Runtime(...)  # the running service (``RuntimeDep``)

Tests put fakes there, or use ``app.dependency_overrides``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Annotated, Any, Protocol

from fastapi import Depends, Header, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from dispatch.errors import UnavailableError
from dispatch.search import SearchIndex
from dispatch.service.runtime import Runtime
from rider_api.auth import Principal, Role, StaffTokens, require_role

_bearer = HTTPBearer(auto_error=False, description="Staff token or booking access token")


class StopLike(Protocol):
    """What ``GET /v1/stops`` lists (e.g. the service's virtual stops)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def lat(self) -> float: ...
    @property
    def lon(self) -> float: ...


def _state(request: Request, name: str) -> object:
    value = getattr(request.app.state, name, None)
    if value is None:
        raise UnavailableError("the service is still starting; please try again shortly")
    return value


def bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str | None:
    return credentials.credentials if credentials else None


BearerToken = Annotated[str | None, Depends(bearer_token)]


def get_staff_tokens(request: Request) -> StaffTokens:
    tokens = getattr(request.app.state, "staff_tokens", None)
    return tokens if isinstance(tokens, StaffTokens) else StaffTokens()


StaffTokensDep = Annotated[StaffTokens, Depends(get_staff_tokens)]


def optional_principal(token: BearerToken, tokens: StaffTokensDep) -> Principal | None:
    return tokens.principal(token)


OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]


def current_agent(principal: OptionalPrincipal) -> Principal:
    return require_role(principal, Role.AGENT)


def current_admin(principal: OptionalPrincipal) -> Principal:
    return require_role(principal, Role.ADMIN)


CurrentAgent = Annotated[Principal, Depends(current_agent)]
AdminDep = Annotated[Principal, Depends(current_admin)]


@dataclass(frozen=True, slots=True)
class BookingAccess:
    """Who asks about a booking: staff, or whoever holds a (not yet checked) booking token."""

    token: str | None
    staff: Principal | None


def booking_access(token: BearerToken, principal: OptionalPrincipal) -> BookingAccess:
    return BookingAccess(None if principal else token, principal)


BookingAccessDep = Annotated[BookingAccess, Depends(booking_access)]

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=200,
        pattern=r"^[!-~]+$",
        description="A unique key per booking attempt (8 to 200 visible ASCII characters, "
        "e.g. a UUID); retries with the same key and body get the same answer.",
    ),
]


#: Text in an address (path) without control characters (they are refused with 422).
PLAIN_TEXT = r"^[^\x00-\x1f\x7f-\x9f]+$"


def path_id(description: str) -> Any:
    """A path parameter naming something: 1 to 100 characters, no control characters."""
    return Path(min_length=1, max_length=100, pattern=PLAIN_TEXT, description=description)


BookingIdPath = Annotated[str, path_id("the booking's id (b_…)")]
RiderIdPath = Annotated[str, path_id("the rider's id")]
VehicleIdPath = Annotated[str, path_id("the vehicle's id, e.g. bus-1")]
OrderIdPath = Annotated[str, path_id("the standing order's number")]


def get_runtime(request: Request) -> Runtime:
    """The running service (engine, store, map); 503 while it is still starting."""
    runtime = _state(request, "runtime")
    assert isinstance(runtime, Runtime)
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_search_index(request: Request) -> SearchIndex:
    index = _state(request, "search_index")
    assert isinstance(index, SearchIndex)
    return index


def get_stops(request: Request) -> Sequence[StopLike]:
    stops = _state(request, "stops")
    assert isinstance(stops, Sequence)
    return stops


def get_time_zone(request: Request) -> tzinfo:
    zone = _state(request, "time_zone")
    assert isinstance(zone, tzinfo)
    return zone


SearchDep = Annotated[SearchIndex, Depends(get_search_index)]
StopsDep = Annotated[Sequence[StopLike], Depends(get_stops)]
TimeZoneDep = Annotated[tzinfo, Depends(get_time_zone)]
