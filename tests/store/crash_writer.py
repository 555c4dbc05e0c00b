"""Child process for the crash test: confirm bookings forever, report each on stdout."""

from __future__ import annotations

import sys

from dispatch.store import Repository, open_database
from tests.store.factories import NOW, make_booking, make_offer, response_for


def main(url: str) -> None:
    repo = Repository(open_database(url), clock=lambda: NOW)
    for i in range(100_000):
        repo.save_offer(make_offer(f"o{i}"))
        repo.confirm_booking(f"o{i}", make_booking(f"b{i}"), idempotency_key=f"k{i}",
                             request_hash="h", response_builder=response_for, now=NOW)  # fmt: skip
        sys.stdout.write(f"b{i}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1])
