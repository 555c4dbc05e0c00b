"""No access token in clear at rest, retries still get it; offers, keys and old plans purged."""

from __future__ import annotations

import json

from alembic import command
from sqlalchemy import text

from dispatch.store import Database, Repository
from dispatch.store.database import alembic_config
from dispatch.store.records import PlanVersion
from dispatch.store.sealing import key_digest
from tests.store.factories import NOW, make_booking, make_offer


def with_token(booking: object) -> dict[str, object]:
    return {"booking_id": getattr(booking, "id"), "access_token": "secret-token-123456"}  # noqa: B009


def test_idempotency_rows_hold_no_token_in_clear_but_a_retry_gets_it(repo: Repository) -> None:
    repo.save_offer(make_offer())
    first = repo.confirm_booking("o1", make_booking(), idempotency_key="client-key-1",
                                 request_hash="h", response_builder=with_token, now=NOW)  # fmt: skip
    assert first.response["access_token"] == "secret-token-123456"
    with repo.db.engine.connect() as c:
        rows = c.execute(text("SELECT * FROM idempotency_keys")).mappings().all()
    dumped = json.dumps([dict(r) for r in rows], default=str)
    assert "secret-token-123456" not in dumped and "client-key-1" not in dumped
    assert rows[0]["key"] == key_digest("client-key-1")
    again = repo.stored_confirmation("client-key-1", "h")
    assert again is not None and again.replayed
    assert again.response == first.response


def test_migration_seals_tokens_written_before(db: Database) -> None:
    config = alembic_config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    with db.engine.begin() as c:
        c.execute(text(
            "INSERT INTO idempotency_keys (scope, key, request_hash, resource_id, status_code,"
            " response, created_at) VALUES ('confirm_booking', 'old-key-123', 'h', 'b9', 201,"
            " :response, 1)"), {"response": json.dumps({"booking_id": "b9", "access_token": "t0k3n"})})  # fmt: skip
    db.migrate()
    with db.engine.connect() as c:
        row = c.execute(text("SELECT key, response, sealed_token FROM idempotency_keys")).one()
    assert row.key == key_digest("old-key-123") and "t0k3n" not in str(row.response)
    stored = Repository(db).stored_confirmation("old-key-123", "h")
    assert stored is not None and stored.response["access_token"] == "t0k3n"


def test_purge_removes_what_is_older_than_the_retention_time(repo: Repository) -> None:
    day = 86400
    repo.save_offer(make_offer("old", expires_at=NOW - 8 * day))
    repo.save_offer(make_offer("fresh", expires_at=NOW + 120))
    repo.confirm_booking("fresh", make_booking(), idempotency_key="k-fresh", request_hash="h",
                         response_builder=with_token, now=NOW)  # fmt: skip
    for version, at in ((1, NOW - 9 * day), (2, NOW - 8 * day), (3, NOW - day)):
        repo.save_plan_version(PlanVersion("bus-1@x", version, at, []))
    repo.save_plan_version(PlanVersion("bus-2@y", 1, NOW - 30 * day, []))  # its latest: kept
    purged = repo.purge(NOW - 7 * day)
    assert (purged.offers, purged.idempotency_keys, purged.plan_versions) == (1, 0, 2)
    assert {p.version for p in repo.latest_plan_versions().values()} == {3, 1}
    assert repo.stored_confirmation("k-fresh", "h") is not None
    later = repo.purge(NOW + 8 * day)
    assert later.idempotency_keys == 1 and later.offers == 1
