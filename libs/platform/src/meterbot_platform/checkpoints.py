"""Named cursors into the event store, saved in the same transaction as the work they mark."""

from __future__ import annotations

import asyncpg

from meterbot_platform.eventstore import START, Cursor
from meterbot_platform.migrations import Migration

MIGRATIONS = (
    Migration(
        "platform/002_checkpoints",
        """
        CREATE TABLE checkpoints (
            name            text PRIMARY KEY,
            transaction_id  bigint NOT NULL,
            position        bigint NOT NULL,
            updated_at      timestamptz NOT NULL DEFAULT now()
        );
        """,
    ),
)


async def load(conn: asyncpg.Connection, name: str, *, lock: bool = False) -> Cursor:
    """The saved cursor. lock=True takes a transaction-scoped advisory lock on the name, so only
    one replica works a checkpoint at a time; unlike a row lock it assigns no transaction id,
    which would hold back every commit-order reader (see eventstore.read_committed)."""
    if lock:
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", name)
    row = await conn.fetchrow("SELECT transaction_id, position FROM checkpoints WHERE name = $1", name)
    return Cursor(row["transaction_id"], row["position"]) if row else START


async def save(conn: asyncpg.Connection, name: str, cursor: Cursor) -> None:
    await conn.execute(
        "INSERT INTO checkpoints (name, transaction_id, position) VALUES ($1, $2, $3)"
        " ON CONFLICT (name) DO UPDATE SET transaction_id = $2, position = $3, updated_at = now()",
        name,
        cursor.transaction_id,
        cursor.position,
    )


async def reset(conn: asyncpg.Connection, name: str) -> None:
    await save(conn, name, START)
