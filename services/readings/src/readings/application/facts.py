"""What readings learns from other services and decides with: which chats are linked to which
accounts (accounts' AccountLinked / AccountUnlinked) and which periods are exported (billing-export's
PeriodClosed). Each message is applied once (inbox) in the transaction that records it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import asyncpg
from meterbot_contracts import Envelope, Message
from meterbot_contracts.accounts import AccountLinked, AccountUnlinked
from meterbot_contracts.billing import PeriodClosed
from meterbot_contracts.readings import Period
from meterbot_platform.application import in_transaction
from meterbot_platform.consumer import Handler

CONSUMER = "readings:facts"


async def known_facts(
    conn: asyncpg.Connection, pairs: set[tuple[int, str]]
) -> tuple[set[tuple[int, str]], frozenset[Period]]:
    """What a group of commands is decided with, in one query: which of the (chat_id,
    account_number) pairs are linked, and the closed periods."""
    chats, accounts = zip(*sorted(pairs), strict=True) if pairs else ((), ())
    rows = await conn.fetch(
        "SELECT l.chat_id, l.account_number, NULL AS period FROM chat_links l"
        " JOIN unnest($1::bigint[], $2::text[]) AS p(chat_id, account_number)"
        " USING (chat_id, account_number)"
        " UNION ALL SELECT NULL, NULL, period FROM closed_periods",
        list(chats),
        list(accounts),
    )
    linked = {(r["chat_id"], r["account_number"]) for r in rows if r["period"] is None}
    return linked, frozenset(r["period"] for r in rows if r["period"] is not None)


async def record_link(conn: asyncpg.Connection, event: AccountLinked, at: datetime) -> None:
    await conn.execute(
        "INSERT INTO chat_links (chat_id, account_number, linked_at) VALUES ($1, $2, $3)"
        " ON CONFLICT (chat_id, account_number) DO UPDATE SET linked_at = excluded.linked_at",
        event.chat_id,
        event.account_number,
        at,
    )


async def record_unlink(conn: asyncpg.Connection, event: AccountUnlinked) -> None:
    await conn.execute(
        "DELETE FROM chat_links WHERE chat_id = $1 AND account_number = $2",
        event.chat_id,
        event.account_number,
    )


async def record_closed(conn: asyncpg.Connection, event: PeriodClosed) -> None:
    await conn.execute(
        "INSERT INTO closed_periods (period, closed_at) VALUES ($1, $2) ON CONFLICT (period) DO NOTHING",
        event.period,
        event.closed_at,
    )


def fact_handlers(pool: asyncpg.Pool) -> Mapping[type[Message], Handler]:
    """Subscriber handlers: each message in its own transaction with its inbox claim."""

    async def linked(envelope: Envelope, event: AccountLinked) -> str:
        async def work(conn: asyncpg.Connection) -> str:
            await record_link(conn, event, envelope.occurred_at)
            return "accepted"

        return await in_transaction(pool, consumer=CONSUMER, envelope=envelope, work=work)

    async def unlinked(envelope: Envelope, event: AccountUnlinked) -> str:
        async def work(conn: asyncpg.Connection) -> str:
            await record_unlink(conn, event)
            return "accepted"

        return await in_transaction(pool, consumer=CONSUMER, envelope=envelope, work=work)

    async def closed(envelope: Envelope, event: PeriodClosed) -> str:
        async def work(conn: asyncpg.Connection) -> str:
            await record_closed(conn, event)
            return "accepted"

        return await in_transaction(pool, consumer=CONSUMER, envelope=envelope, work=work)

    return {AccountLinked: linked, AccountUnlinked: unlinked, PeriodClosed: closed}
