from __future__ import annotations

import pytest

from dispatch.store import Repository, normalise_phone
from dispatch.store.errors import DuplicateError, InvalidPhone, RiderNotFound
from dispatch.store.records import Address, RiderNeeds
from dispatch.store.tokens import hash_token, new_token, token_matches
from tests.store.factories import NOW


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("0921 / 123 45-6", "+49921123456"),
        ("+49 (921) 123456", "+49921123456"),
        ("0049 921 123456", "+49921123456"),
        ("921123456", "+49921123456"),
        ("+43 2732 12345", "+43273212345"),
    ],
)
def test_phone_numbers_are_normalised(raw: str, e164: str) -> None:
    assert normalise_phone(raw) == e164


@pytest.mark.parametrize("raw", ["", "abc", "+49 12", "0921-12a456", "+1234567890123456"])
def test_bad_phone_numbers_are_refused(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        normalise_phone(raw)


def test_create_and_find_rider(repo: Repository) -> None:
    needs = RiderNeeds(wheelchair=True, extra_boarding_s=120)
    home = Address("Hauptstr. 1, Harsdorf", 50.0276, 11.5689)
    rider = repo.create_rider("Anna Meier", "0921 123456", needs=needs, home=home, language="en")
    assert rider.phone == "+49921123456" and rider.created_at == NOW
    assert repo.get_rider(rider.id) == rider
    assert repo.find_rider_by_phone("+49 921 123456") == rider
    assert repo.find_rider_by_phone("0921 999999") is None


def test_one_rider_per_phone_number(repo: Repository) -> None:
    repo.create_rider("Anna", "0921 123456")
    with pytest.raises(DuplicateError):
        repo.create_rider("Someone", "+49921123456")
    repo.create_rider("No phone 1")
    repo.create_rider("No phone 2")


def test_unknown_rider(repo: Repository) -> None:
    with pytest.raises(RiderNotFound):
        repo.get_rider("nope")


def test_tokens_are_stored_as_hashes() -> None:
    token = new_token()
    stored = hash_token(token)
    assert token not in stored and len(token) >= 32
    assert token_matches(token, stored)
    assert not token_matches(token + "x", stored)
    assert not token_matches(token, None)


def test_national_numbers_take_the_areas_country_code(repo: Repository) -> None:
    repo.phone_country_code = "43"  # an Austrian area (phone_country_code = "43")
    rider = repo.create_rider("Anna", "02732 12345")
    assert rider.phone == "+43273212345"
    found = repo.find_rider_by_phone("+43 2732 12345")
    assert found is not None and found.id == rider.id
    assert repo.find_rider_by_phone("0049 2732 12345") is None  # a German number is another
