"""Riders: people who book, found again by their phone number."""

from __future__ import annotations

import re
import uuid

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from dispatch.store import convert
from dispatch.store.base import StoreBase
from dispatch.store.errors import DuplicateError, InvalidPhone, RiderNotFound
from dispatch.store.records import Address, Rider, RiderNeeds
from dispatch.store.tables import RiderRow

DEFAULT_COUNTRY_CODE = "49"
_SEPARATORS = re.compile(r"[\s\-./()]")


def normalise_phone(raw: str, country_code: str = DEFAULT_COUNTRY_CODE) -> str:
    """E.164-ish: ``+`` and 8–15 digits; ``00…`` is international, ``0…`` national.

    >>> normalise_phone("0921 / 123 45-6")
    '+49921123456'
    """
    text = _SEPARATORS.sub("", raw.strip())
    if text.startswith("00"):
        text = "+" + text[2:]
    elif text.startswith("0"):
        text = f"+{country_code}{text[1:]}"
    elif not text.startswith("+"):
        text = f"+{country_code}{text}"
    digits = text[1:]
    if not digits.isdigit() or not 8 <= len(digits) <= 15:
        raise InvalidPhone(f"not a phone number: {raw!r}")
    return text


class RiderStore(StoreBase):
    def create_rider(
        self,
        name: str,
        phone: str | None = None,
        *,
        language: str = "de",
        needs: RiderNeeds = RiderNeeds(),  # noqa: B008  (frozen dataclass)
        home: Address | None = None,
        rider_id: str | None = None,
    ) -> Rider:
        """Insert a rider; raise ``DuplicateError`` if the id or phone number is taken."""
        row = RiderRow(
            id=rider_id or uuid.uuid4().hex,
            name=name,
            phone=None if phone is None else normalise_phone(phone, self.phone_country_code),
            language=language,
            needs=convert.needs_json(needs),
            home_address=None if home is None else home.text,
            home_lat=None if home is None else home.lat,
            home_lon=None if home is None else home.lon,
            created_at=self._clock(),
        )
        try:
            with self._db.transaction() as session:
                session.add(row)
                session.flush()
                return convert.rider(row)
        except IntegrityError as exc:
            raise DuplicateError(f"a rider with id {row.id} or phone {row.phone} exists") from exc

    def get_rider(self, rider_id: str) -> Rider:
        with self._db.transaction() as session:
            row = session.get(RiderRow, rider_id)
            if row is None:
                raise RiderNotFound(f"no rider {rider_id}")
            return convert.rider(row)

    def find_rider_by_phone(self, phone: str) -> Rider | None:
        number = normalise_phone(phone, self.phone_country_code)
        with self._db.transaction() as session:
            row = session.exec(select(RiderRow).where(RiderRow.phone == number)).first()
            return None if row is None else convert.rider(row)
