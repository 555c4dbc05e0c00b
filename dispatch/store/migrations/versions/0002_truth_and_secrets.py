"""Incidents; idempotency keys stored as hashes, access tokens sealed instead of in clear.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from dispatch.store.sealing import key_digest, seal

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("booking_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("detail", sa.String(), nullable=False),
        sa.Column("opened_at", sa.BigInteger(), nullable=False),
        sa.Column("closed_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["booking_id"], ["bookings.id"]),
    )
    op.create_index("ix_incidents_booking_id", "incidents", ["booking_id"])
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.add_column(sa.Column("sealed_token", sa.String(), nullable=True))
    _seal_stored_tokens()


def _seal_stored_tokens() -> None:
    """Rows written before: hash the key, move the access token out of the answer, sealed."""
    keys = sa.table(
        "idempotency_keys",
        sa.column("scope", sa.String()),
        sa.column("key", sa.String()),
        sa.column("resource_id", sa.String()),
        sa.column("response", sa.JSON()),
        sa.column("sealed_token", sa.String()),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(keys)).mappings().all()
    for row in rows:
        response: dict[str, Any] = dict(row["response"] or {})
        token = response.pop("access_token", None)
        sealed = None
        if isinstance(token, str):
            sealed = seal(token, row["key"], row["scope"], row["resource_id"] or "")
        connection.execute(
            sa.update(keys)
            .where(keys.c.scope == row["scope"], keys.c.key == row["key"])
            .values(key=key_digest(row["key"]), response=response, sealed_token=sealed)
        )


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_column("sealed_token")
    op.drop_index("ix_incidents_booking_id", "incidents")
    op.drop_table("incidents")
