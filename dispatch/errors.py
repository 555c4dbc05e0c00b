"""One exception hierarchy for the whole service.

The CLI turns a ``DispatchError`` into a one-line message and a non-zero exit; the
HTTP layer maps each subclass to a problem response with a 4xx status.
"""

from __future__ import annotations

from typing import Any


class DispatchError(Exception):
    """Base of every error the service reports to a user instead of crashing."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Errors cross processes (the engine answers an API worker over the message bus).
        # Python rebuilds an exception by calling its class with ``args``, which fails for
        # subclasses whose constructor takes more (an offer that is gone carries fresh
        # offers): rebuild it field by field instead, whatever its constructor.
        return (_rebuilt, (type(self), self.args, dict(self.__dict__)))


def _rebuilt(cls: type[DispatchError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class InputError(DispatchError):
    """Input that cannot be used as given (bad file, bad value, bad format)."""


class RoadNetworkError(DispatchError):
    """The road network cannot be built or used (no roads, corrupt source, ...)."""


class SourceNotFoundError(RoadNetworkError):
    """An OSM source file does not exist or cannot be read."""


class CorruptSourceError(RoadNetworkError):
    """An OSM source file exists but cannot be parsed."""


class NoDrivableRoadError(RoadNetworkError):
    """The area holds no road a bus may use."""


class SnapError(RoadNetworkError):
    """A point lies too far from any drivable road (e.g. in a lake or outside the area)."""


class InfeasibleError(DispatchError):
    """A schedule or plan breaks a hard constraint."""


class ConflictError(DispatchError):
    """The request conflicts with the current state (already booked, on board, ...)."""


class NotFoundError(DispatchError):
    """Something the caller named (a booking, stop, rider, ...) does not exist."""


class AuthError(DispatchError):
    """The caller did not prove who they are (missing or unknown token)."""


class ForbiddenError(AuthError):
    """The caller is known but may not do this (e.g. a rider reading another's booking)."""


class UnavailableError(DispatchError):
    """The service cannot answer right now (starting up, overloaded); try again later."""

    #: Seconds after which a retry is likely to succeed (the HTTP ``Retry-After``).
    retry_after_s = 2
