"""The engine's figures at one moment: for ``/v1/health``, ``/metrics`` and the API workers
(the production engine writes them to the bus every second)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dispatch.engine.views import EMPTY_VIEW, EngineView
from dispatch.service.sink import Adoption


@dataclass(frozen=True)
class EngineSummary:
    """The engine's figures for ``/v1/health`` and ``/metrics`` of the workers."""

    vehicles: int
    solving: bool
    solves: int
    adoptions: int
    bookings_moved: int
    drive_saved_s: int
    unplaced: int
    queue_depth: int
    #: The vehicles' shifts the engine plans: (vehicle id, local day).
    shift_days: frozenset[tuple[str, date]] = frozenset()
    #: The engine's published view (the dispatcher view and "where is my bus" of workers).
    #: On the message bus the figures travel without it; ``view_version`` then tells the
    #: workers whether the view they hold is still the engine's latest.
    view: EngineView = EMPTY_VIEW
    view_version: int = 0
    #: The latest adopted re-optimisations, oldest first (``at``, ``drive_saved_s``,
    #: ``vehicles_changed``, ``bookings_moved``).
    recent_adoptions: tuple[Adoption, ...] = ()
