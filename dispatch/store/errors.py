"""What the store raises: subclasses of the service-wide hierarchy in ``dispatch.errors``."""

from __future__ import annotations

from dispatch import errors
from dispatch.errors import ConflictError, DispatchError, InputError, UnavailableError


class StoreError(DispatchError):
    """The database cannot be used (bad URL, failed migration, unreachable server)."""


class StoreUnavailable(UnavailableError):
    """The database did not answer in time; nothing was written, the same call may be retried."""


class UnstorableValue(InputError):
    """The database refused a value (e.g. a NUL character on PostgreSQL)."""


class NotFoundError(errors.NotFoundError):
    """A record the caller named does not exist."""


class RiderNotFound(NotFoundError):
    pass


class BookingNotFound(NotFoundError):
    pass


class OfferNotFound(NotFoundError):
    pass


class VehicleNotFound(NotFoundError):
    pass


class ShiftNotFound(NotFoundError):
    pass


class StandingOrderNotFound(NotFoundError):
    pass


class DuplicateError(ConflictError):
    """A record with this identifier (or phone number, plan version, ...) already exists."""


class IdempotencyConflict(ConflictError):
    """The idempotency key was used before with a different request."""


class OfferAlreadyUsed(ConflictError):
    """The offer has already been turned into a booking."""


class OfferExpired(ConflictError):
    """The offer's hold time is over."""


class StaleVersion(ConflictError):
    """The record changed since the caller read it (optimistic concurrency)."""


class InvalidTransition(ConflictError):
    """The booking cannot move from its current status to the requested one."""


class InvalidPhone(InputError):
    """A phone number that cannot be normalised to E.164."""
