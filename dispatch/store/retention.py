"""Incidents for the dispatcher, and the purge of what is kept only for a while.

Offers are needed only until they expire, an idempotency key only as long as a client
may still retry, and a superseded plan version only for looking back; none of them may
grow without bound. ``purge`` removes what is older than the retention time (the
service definition's ``[retention] days``, default 7) and keeps each vehicle's latest
plan version, whatever its age (a restart reads it).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, delete, func
from sqlmodel import col, select

from dispatch.model import BookingId
from dispatch.store.base import StoreBase
from dispatch.store.records import Incident
from dispatch.store.tables import IdempotencyKeyRow, IncidentRow, OfferRow, PlanVersionRow


@dataclass(frozen=True, slots=True)
class Purged:
    offers: int
    idempotency_keys: int
    plan_versions: int


class RetentionStore(StoreBase):
    def purge(self, before: int) -> Purged:
        """Delete offers that expired, keys used and plan versions superseded before ``before``."""
        newest = (
            select(PlanVersionRow.vehicle_id, func.max(PlanVersionRow.version).label("version"))
            .group_by(col(PlanVersionRow.vehicle_id))
            .subquery()
        )
        latest_ids = select(PlanVersionRow.id).join(
            newest,
            and_(
                col(PlanVersionRow.vehicle_id) == newest.c.vehicle_id,
                col(PlanVersionRow.version) == newest.c.version,
            ),
        )
        with self._db.transaction() as session:
            offers = session.exec(delete(OfferRow).where(col(OfferRow.expires_at) < before))
            keys = session.exec(
                delete(IdempotencyKeyRow).where(col(IdempotencyKeyRow.created_at) < before)
            )
            plans = session.exec(
                delete(PlanVersionRow).where(
                    col(PlanVersionRow.created_at) < before,
                    col(PlanVersionRow.id).not_in(latest_ids),
                )
            )
            return Purged(int(offers.rowcount), int(keys.rowcount), int(plans.rowcount))

    def list_incidents(self, *, open_only: bool = True, limit: int = 200) -> list[Incident]:
        """Incidents, newest first; by default only those not resolved yet."""
        statement = select(IncidentRow)
        if open_only:
            statement = statement.where(col(IncidentRow.closed_at).is_(None))
        statement = statement.order_by(col(IncidentRow.opened_at).desc()).limit(limit)
        with self._db.transaction() as session:
            return [
                Incident(
                    r.id or 0, BookingId(r.booking_id), r.kind, r.detail, r.opened_at, r.closed_at
                )
                for r in session.exec(statement)
            ]
