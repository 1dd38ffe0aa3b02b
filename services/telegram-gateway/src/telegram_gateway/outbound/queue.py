"""The outbound queue's SQL: enqueue (in the caller's transaction), and what the sender does with
rows (claim with a lease, mark sent, give back, give up) and with the shared pace."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiogram.types import InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove

Keyboard = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove
_KINDS: dict[str, type[Keyboard]] = {
    "inline": InlineKeyboardMarkup,
    "reply": ReplyKeyboardMarkup,
    "remove": ReplyKeyboardRemove,
}


def keyboard_json(keyboard: Keyboard | None) -> str | None:
    if keyboard is None:
        return None
    kind = next(name for name, cls in _KINDS.items() if isinstance(keyboard, cls))
    return json.dumps({"kind": kind, "markup": keyboard.model_dump(mode="json", exclude_none=True)})


def _keyboard(data: str | None) -> Keyboard | None:
    if data is None:
        return None
    stored = json.loads(data)
    return _KINDS[stored["kind"]].model_validate(stored["markup"])


@dataclass(frozen=True)
class Outgoing:
    """One message for enqueue_many."""

    chat_id: int
    text: str
    dedupe_key: str
    keyboard: Keyboard | None = None


@dataclass(frozen=True)
class Claimed:
    id: int
    chat_id: int
    text: str
    keyboard: Keyboard | None
    attempts: int


# A known dedupe key is no second message. The chat's pace is kept when sending (claim), not here.
_ENQUEUE = """
INSERT INTO outbound_messages (dedupe_key, chat_id, text, markup) VALUES ($1, $2, $3, $4::jsonb)
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id
"""


async def enqueue(
    conn: asyncpg.Connection,
    chat_id: int,
    text: str,
    keyboard: Keyboard | None = None,
    *,
    dedupe_key: str,
) -> bool:
    """Queue one message; True if it is new, False if `dedupe_key` was queued before (sent or not)."""
    row_id = await conn.fetchval(_ENQUEUE, dedupe_key, chat_id, text, keyboard_json(keyboard))
    return row_id is not None


async def enqueue_many(conn: asyncpg.Connection, messages: Sequence[Outgoing]) -> None:
    """Queue many (one round trip per statement batch); known dedupe keys are skipped."""
    await conn.executemany(
        _ENQUEUE,
        [(m.dedupe_key, m.chat_id, m.text, keyboard_json(m.keyboard)) for m in messages],
    )


async def reserve_pace(pool: asyncpg.Pool, count: int, interval: float) -> float:
    """Take `count` send slots of the bot's shared clock (all replicas share it); returns how many
    seconds from now the first slot is. Autocommit: held by no transaction, so replicas never wait."""
    delay: float = await pool.fetchval(
        """UPDATE outbound_pace SET next_at = greatest(next_at, clock_timestamp()) + $1 * interval '1 second'
           WHERE name = 'bot'
           RETURNING extract(epoch FROM (next_at - $1 * interval '1 second' - clock_timestamp()))::float8""",
        count * interval,
    )
    return max(delay, 0.0)


async def hold_pace(pool: asyncpg.Pool, seconds: float) -> None:
    """Telegram said 429 retry_after: no replica sends before then."""
    await pool.execute(
        "UPDATE outbound_pace SET next_at = greatest(next_at, clock_timestamp() + $1 * interval '1 second')"
        " WHERE name = 'bot'",
        seconds,
    )


_CANDIDATES = """
SELECT m.id, m.chat_id FROM outbound_messages m
LEFT JOIN outbound_chats c ON c.chat_id = m.chat_id
WHERE m.sent_at IS NULL AND m.given_up_at IS NULL AND m.not_before <= now()
  AND (m.lease_until IS NULL OR m.lease_until < now())
  AND (c.next_at IS NULL OR c.next_at <= now())
ORDER BY m.not_before, m.id
LIMIT $1
FOR UPDATE OF m SKIP LOCKED
"""
# The chat's clock is the per-chat lock across replicas: the conditional upsert re-checks next_at
# on the newest row version, so of two replicas that picked messages of one chat only one wins.
_HOLD_CHATS = """
INSERT INTO outbound_chats AS c (chat_id, next_at)
SELECT unnest($1::bigint[]), now() + $2 * interval '1 second'
ON CONFLICT (chat_id) DO UPDATE SET next_at = EXCLUDED.next_at WHERE c.next_at <= now()
RETURNING chat_id
"""
_LEASE = """
UPDATE outbound_messages SET lease_until = now() + $2 * interval '1 second', attempts = attempts + 1
WHERE id = ANY($1::bigint[])
RETURNING id, chat_id, text, markup, attempts
"""


async def claim(pool: asyncpg.Pool, limit: int, lease: float) -> list[Claimed]:
    """Take up to `limit` due messages, at most one per chat, leased for `lease` seconds."""
    async with pool.acquire() as conn, conn.transaction():
        first: dict[int, int] = {}
        for row in await conn.fetch(_CANDIDATES, limit):
            first.setdefault(row["chat_id"], row["id"])
        if not first:
            return []
        held = {r["chat_id"] for r in await conn.fetch(_HOLD_CHATS, list(first), lease)}
        rows = await conn.fetch(_LEASE, [first[c] for c in held], lease)
    claimed = [Claimed(r["id"], r["chat_id"], r["text"], _keyboard(r["markup"]), r["attempts"]) for r in rows]
    return sorted(claimed, key=lambda c: c.id)


async def extend_lease(pool: asyncpg.Pool, ids: Sequence[int], seconds: float) -> None:
    await pool.execute(
        "UPDATE outbound_messages SET lease_until = now() + $2 * interval '1 second'"
        " WHERE id = ANY($1::bigint[])",
        list(ids),
        seconds,
    )
    await pool.execute(
        "UPDATE outbound_chats SET next_at = now() + $2 * interval '1 second'"
        " WHERE chat_id IN (SELECT chat_id FROM outbound_messages WHERE id = ANY($1::bigint[]))",
        list(ids),
        seconds,
    )


async def mark_sent(pool: asyncpg.Pool, sent: Sequence[tuple[int, int]], chat_gap: float) -> None:
    """(id, chat_id) pairs Telegram accepted: done; each chat's next message waits `chat_gap`."""
    if not sent:
        return
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "UPDATE outbound_messages SET sent_at = now(), lease_until = NULL WHERE id = ANY($1::bigint[])",
            [i for i, _ in sent],
        )
        await conn.execute(
            "UPDATE outbound_chats SET next_at = now() + $2 * interval '1 second'"
            " WHERE chat_id = ANY($1::bigint[])",
            [c for _, c in sent],
            chat_gap,
        )


async def give_back(pool: asyncpg.Pool, message: Claimed, after: float, error: str | None = None) -> None:
    """Not sent (429, network): pending again, not before `after` seconds; its chat is free then too."""
    await pool.execute(
        """WITH m AS (UPDATE outbound_messages SET lease_until = NULL,
                          not_before = now() + $2 * interval '1 second', last_error = $3
                      WHERE id = $1 RETURNING chat_id)
           UPDATE outbound_chats SET next_at = now() + $2 * interval '1 second'
           WHERE chat_id = (SELECT chat_id FROM m)""",
        message.id,
        after,
        error,
    )


async def give_up(pool: asyncpg.Pool, message: Claimed, error: str) -> None:
    """Telegram will never take it (bot blocked, chat gone): kept with the reason, not retried."""
    await pool.execute(
        """WITH m AS (UPDATE outbound_messages SET lease_until = NULL, given_up_at = now(), last_error = $2
                      WHERE id = $1 RETURNING chat_id)
           UPDATE outbound_chats SET next_at = now() WHERE chat_id = (SELECT chat_id FROM m)""",
        message.id,
        error,
    )


async def counts(pool: asyncpg.Pool) -> dict[str, Any]:
    """pending / sent / given_up, for metrics and tests."""
    row = await pool.fetchrow(
        """SELECT count(*) FILTER (WHERE sent_at IS NULL AND given_up_at IS NULL) AS pending,
                  count(*) FILTER (WHERE sent_at IS NOT NULL) AS sent,
                  count(*) FILTER (WHERE given_up_at IS NOT NULL) AS given_up
           FROM outbound_messages"""
    )
    return dict(row) if row is not None else {}
