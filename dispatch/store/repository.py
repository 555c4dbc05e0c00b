"""The store's one entry point: every persistence operation the service needs.

Each method runs in its own transaction and either writes everything or nothing.
The methods live in one module per concern; this class only puts them together.
"""

from __future__ import annotations

from dispatch.store.bookings import BookingStore
from dispatch.store.changes import ChangeStore
from dispatch.store.fleet import FleetStore
from dispatch.store.history import HistoryStore
from dispatch.store.offers import OfferStore
from dispatch.store.plans import PlanStore
from dispatch.store.proposals import ProposalStore
from dispatch.store.retention import RetentionStore
from dispatch.store.riders import RiderStore
from dispatch.store.standing_orders import StandingOrderStore


class Repository(
    RiderStore,
    OfferStore,
    BookingStore,
    FleetStore,
    PlanStore,
    StandingOrderStore,
    ChangeStore,
    RetentionStore,
    HistoryStore,
    ProposalStore,
):
    """``Repository(open_database(url))``; pass ``clock`` to control ``created_at`` stamps."""
