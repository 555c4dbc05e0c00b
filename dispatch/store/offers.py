"""Offers: held promises waiting to be accepted; each can become one booking only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from dispatch.store import convert
from dispatch.store.base import StoreBase
from dispatch.store.errors import DuplicateError, OfferAlreadyUsed, OfferExpired, OfferNotFound
from dispatch.store.records import Offer
from dispatch.store.tables import OfferRow


class OfferStore(StoreBase):
    def save_offers(self, offers: list[Offer]) -> None:
        """Insert a quote's offers in one transaction; ``DuplicateError`` if an id was used.

        One plain INSERT of all of them: every quote stores its offers, so this is on the
        path of every rider's request."""
        if not offers:
            return
        try:
            with self._db.transaction() as session:
                session.connection().execute(_OFFERS.insert(), [_offer_values(o) for o in offers])
        except IntegrityError as exc:
            ids = ", ".join(o.offer_id for o in offers)
            raise DuplicateError(f"offer {ids} exists") from exc

    def save_offer(self, offer: Offer) -> None:
        """Insert an offer; raise ``DuplicateError`` if its id was used before."""
        self.save_offers([offer])

    def get_offer(self, offer_id: str) -> Offer:
        with self._db.transaction() as session:
            found = session.connection().execute(_SELECT, {"o_id": offer_id}).mappings().first()
        if found is None:
            raise OfferNotFound(f"no offer {offer_id}")
        return convert.offer_from(dict(found))

    def delete_expired_offers(self, before: int) -> int:
        """Forget offers that expired before ``before`` and were never accepted."""
        statement = delete(OfferRow).where(
            col(OfferRow.expires_at) < before, col(OfferRow.consumed_by).is_(None)
        )
        with self._db.transaction() as session:
            return int(session.exec(statement).rowcount)


def _offer_values(o: Offer) -> dict[str, Any]:
    return {
        "offer_id": o.offer_id,
        "quote_id": o.quote_id,
        "request": dict(o.request),
        "promise": dict(o.promise),
        "vehicle_id": o.vehicle_id,
        "expires_at": o.expires_at,
        "created_at": o.created_at,
        "consumed_by": o.consumed_by,
    }


def consume_offer(session: Session, offer_id: str, booking_id: str, now: int) -> None:
    """Mark the offer as used by ``booking_id``, inside the caller's transaction.

    One conditional UPDATE, safe under concurrency: of two transactions racing for the
    same offer, the second matches no row once the first commits. Only when it matches
    nothing is the offer read, to say why.
    """
    taken = session.connection().execute(
        _CONSUME, {"o_id": offer_id, "o_booking": booking_id, "o_now": now}
    )
    if taken.rowcount == 1:
        return
    row = session.get(OfferRow, offer_id)
    if row is None:
        raise OfferNotFound(f"no offer {offer_id}")
    if row.consumed_by is not None:
        raise OfferAlreadyUsed(f"offer {offer_id} is already booked")
    raise OfferExpired(f"offer {offer_id} expired")


_OFFERS = OfferRow.__table__  # type: ignore[attr-defined]
_SELECT = select(_OFFERS).where(_OFFERS.c.offer_id == bindparam("o_id"))
_CONSUME = (
    update(_OFFERS)
    .where(
        _OFFERS.c.offer_id == bindparam("o_id"),
        _OFFERS.c.consumed_by.is_(None),
        _OFFERS.c.expires_at >= bindparam("o_now"),
    )
    .values(consumed_by=bindparam("o_booking"))
)
