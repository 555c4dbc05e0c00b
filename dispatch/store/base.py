"""What every part of the repository shares: the database and a clock for ``*_at`` columns."""

from __future__ import annotations

import time
from collections.abc import Callable

from dispatch.store.database import Database


def wall_clock() -> int:
    return int(time.time())


class StoreBase:
    """Holds the database; each public method runs in exactly one transaction."""

    def __init__(self, db: Database, clock: Callable[[], int] = wall_clock) -> None:
        self._db = db
        self._clock = clock
        #: The country calling code of national phone numbers (the area's definition sets it).
        self.phone_country_code = "49"

    @property
    def db(self) -> Database:
        return self._db
