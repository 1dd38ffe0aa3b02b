"""Inbox: a consumer records each processed message id in the same transaction as its effects,
so a redelivered message has no second effect (DESIGN §2)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg

from meterbot_platform.migrations import Migration

MIGRATIONS = (
    Migration(
        "platform/003_inbox",
        """
        CREATE TABLE inbox (
            consumer      text NOT NULL,
            message_id    uuid NOT NULL,
            processed_at  timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (consumer, message_id)
        );
        """,
    ),
)


async def claim(conn: asyncpg.Connection, consumer: str, message_id: UUID) -> bool:
    """True if `message_id` is new for `consumer` (go on); False if it was processed already.

    Must run inside the transaction that applies the effects. A concurrent duplicate waits on
    the primary key until the first commits, then sees the conflict."""
    status = await conn.execute(
        "INSERT INTO inbox (consumer, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        consumer,
        message_id,
    )
    return bool(status == "INSERT 0 1")


async def claim_many(conn: asyncpg.Connection, consumer: str, message_ids: Sequence[UUID]) -> set[UUID]:
    """claim() for a batch in one statement: the ids that are new for `consumer`."""
    rows = await conn.fetch(
        "INSERT INTO inbox (consumer, message_id) SELECT $1, unnest($2::uuid[])"
        " ON CONFLICT DO NOTHING RETURNING message_id",
        consumer,
        list(message_ids),
    )
    return {row["message_id"] for row in rows}


async def already_claimed(conn: asyncpg.Connection, consumer: str, message_ids: Sequence[UUID]) -> set[UUID]:
    """Which of `message_ids` `consumer` has processed: a read, so a handler can decide first and
    claim last (a transaction's first write fixes its place in the relays' order)."""
    rows = await conn.fetch(
        "SELECT message_id FROM inbox WHERE consumer = $1 AND message_id = ANY($2::uuid[])",
        consumer,
        list(message_ids),
    )
    return {row["message_id"] for row in rows}
