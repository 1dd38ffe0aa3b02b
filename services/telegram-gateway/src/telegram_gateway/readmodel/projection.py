"""Apply events to the read model, on the caller's connection (inside the transaction that also
claims them in the inbox, so a redelivery has no second effect)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from itertools import groupby
from typing import Any

import asyncpg
from meterbot_contracts import Message
from meterbot_contracts.accounts import (
    AccountLinked,
    AccountLinkRefused,
    AccountRegistered,
    AccountUnlinked,
    BalanceRecorded,
)
from meterbot_contracts.billing import PeriodClosed
from meterbot_contracts.identity import ResidentContactUpdated, ResidentErased, ResidentRegistered
from meterbot_contracts.readings import (
    MeterClosed,
    MeterRegistered,
    MeterRegisteredV2,
    MeterReplaced,
    ReadingAccepted,
    ReadingAcceptedV2,
    ReadingReconciled,
    ReadingWithdrawn,
)

from telegram_gateway.readmodel.archive import apply_archive
from telegram_gateway.storage.photos import apply_photos

Apply = Callable[[asyncpg.Connection, Any], Awaitable[None]]


async def _registered(conn: asyncpg.Connection, e: ResidentRegistered) -> None:
    await conn.execute(
        "INSERT INTO rm_chats (chat_id, user_id, language) VALUES ($1, $2, $3) ON CONFLICT (chat_id)"
        " DO UPDATE SET user_id = EXCLUDED.user_id,"
        " language = coalesce(EXCLUDED.language, rm_chats.language)",
        e.chat_id,
        e.user_id,
        e.language,
    )


async def _contact_updated(conn: asyncpg.Connection, e: ResidentContactUpdated) -> None:
    await conn.execute("INSERT INTO rm_chats (chat_id) VALUES ($1) ON CONFLICT DO NOTHING", e.chat_id)


# What a chat leaves behind here, deleted when its resident is erased: (table, the chat's column).
_CHAT_ROWS = (
    ("rm_links", "chat_id"),
    ("rm_chats", "chat_id"),
    ("rm_link_locks", "chat_id"),
    ("resident_contacts", "chat_id"),
    ("pending_requests", "chat_id"),
    ("fsm_states", "chat_id"),
    ("admin_relay", "resident_chat_id"),
    ("news_subscribers", "chat_id"),
    ("chat_languages", "chat_id"),
    # reminders: the choice, what was sent, and queued or sent texts (they name accounts and meters)
    ("notice_prefs", "chat_id"),
    ("notice_facts", "chat_id"),
    ("outbound_messages", "chat_id"),
)


async def _erased(conn: asyncpg.Connection, e: ResidentErased) -> None:
    """Forget the chat: links, registration, and what it typed that still waits here (a pending
    link holds the typed surname; input state; who wrote to the admin)."""
    for table, column in _CHAT_ROWS:
        await conn.execute(f"DELETE FROM {table} WHERE {column} = $1", e.chat_id)
    await conn.execute("UPDATE rm_readings SET chat_id = NULL WHERE chat_id = $1", e.chat_id)


_ACCOUNT_REGISTERED = (
    "INSERT INTO rm_accounts (account_number, address) VALUES ($1, $2)"
    " ON CONFLICT (account_number) DO UPDATE SET address = EXCLUDED.address",
    "UPDATE rm_links SET address = $2 WHERE account_number = $1",
)


def _account_registered_args(e: AccountRegistered) -> tuple[Any, ...]:
    return (e.account_number, e.address)


async def _linked(conn: asyncpg.Connection, e: AccountLinked) -> None:
    await conn.execute(
        "INSERT INTO rm_links (chat_id, account_number, address) VALUES ($1, $2, $3)"
        " ON CONFLICT (chat_id, account_number) DO UPDATE SET address = EXCLUDED.address",
        e.chat_id,
        e.account_number,
        e.address,
    )


async def _link_refused(conn: asyncpg.Connection, e: AccountLinkRefused) -> None:
    # The try that used up the last attempt (or a refusal while locked) names the lock's end.
    if e.locked_until is not None:
        await conn.execute(
            "INSERT INTO rm_link_locks (chat_id, locked_until) VALUES ($1, $2) ON CONFLICT (chat_id)"
            " DO UPDATE SET locked_until = greatest(rm_link_locks.locked_until, EXCLUDED.locked_until)",
            e.chat_id,
            e.locked_until,
        )


async def _period_closed(conn: asyncpg.Connection, e: PeriodClosed) -> None:
    await conn.execute(
        "INSERT INTO rm_closed_periods (period, closed_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        e.period,
        e.closed_at,
    )


async def _unlinked(conn: asyncpg.Connection, e: AccountUnlinked) -> None:
    await conn.execute(
        "DELETE FROM rm_links WHERE chat_id = $1 AND account_number = $2", e.chat_id, e.account_number
    )


# Each registration describes the whole meter (readings replaces its MeterInfo): v1 says nothing of
# an initial value, so it has none; v2 sets it.
_METER_REGISTERED = (
    """
    INSERT INTO rm_meters (meter_id, account_number, meter_type, serial_number, verified_until,
                           last_value, last_value_date, closed, initial_value)
    VALUES ($1, $2, $3, $4, $5, $6, $7, false, $8)
    ON CONFLICT (meter_id) DO UPDATE SET account_number = EXCLUDED.account_number,
        meter_type = EXCLUDED.meter_type, serial_number = EXCLUDED.serial_number,
        verified_until = EXCLUDED.verified_until, last_value = EXCLUDED.last_value,
        last_value_date = EXCLUDED.last_value_date, closed = false, initial_value = EXCLUDED.initial_value
    """,
)


def _meter_registered_args(e: MeterRegistered) -> tuple[Any, ...]:
    return (
        e.meter_id,
        e.account_number,
        e.meter_type.value,
        e.serial_number,
        e.verified_until,
        e.last_value,
        e.last_value_date,
        e.initial_value if isinstance(e, MeterRegisteredV2) else None,
    )


_METER_CLOSED = ("UPDATE rm_meters SET closed = true WHERE meter_id = $1",)


def _meter_closed_args(e: MeterClosed) -> tuple[Any, ...]:
    return (e.meter_id,)


async def _accepted(conn: asyncpg.Connection, e: ReadingAccepted) -> None:
    # A replacement supersedes the period's current reading -- unless that one is newer (events of
    # one meter may be redelivered or arrive out of order across partitions).
    await conn.execute(
        "UPDATE rm_readings SET status = 'superseded' WHERE meter_id = $1 AND period = $2"
        " AND status = 'current' AND submitted_at <= $3",
        e.meter_id,
        e.period,
        e.submitted_at,
    )
    await conn.execute(
        """
        INSERT INTO rm_readings (reading_id, meter_id, account_number, period, value, submitted_at, status)
        SELECT $1, $2, $3, $4, $5, $6,
               CASE WHEN EXISTS (SELECT 1 FROM rm_readings WHERE meter_id = $2 AND period = $4
                                 AND status = 'current') THEN 'superseded' ELSE 'current' END
        ON CONFLICT (reading_id) DO NOTHING
        """,
        e.reading_id,
        e.meter_id,
        e.account_number,
        e.period,
        e.value,
        e.submitted_at,
    )
    await conn.execute("UPDATE rm_readings SET chat_id = $2 WHERE reading_id = $1", e.reading_id, e.chat_id)


async def _withdrawn(conn: asyncpg.Connection, e: ReadingWithdrawn) -> None:
    await conn.execute("UPDATE rm_readings SET status = 'withdrawn' WHERE reading_id = $1", e.reading_id)


async def _reconciled(conn: asyncpg.Connection, e: ReadingReconciled) -> None:
    # billing closed the period first: the refused reading is out, the one billing counts is current
    if e.refused == "accepted":
        await conn.execute(
            "UPDATE rm_readings SET status = 'refused' WHERE reading_id = $1", e.refused_reading_id
        )
    if e.counted_reading_id is not None:
        await conn.execute(
            "UPDATE rm_readings SET status = 'superseded' WHERE meter_id = $1 AND period = $2"
            " AND status = 'current' AND reading_id <> $3",
            e.meter_id,
            e.period,
            e.counted_reading_id,
        )
        await conn.execute(
            "UPDATE rm_readings SET status = 'current' WHERE reading_id = $1", e.counted_reading_id
        )


async def _balance_recorded(conn: asyncpg.Connection, e: BalanceRecorded) -> None:
    # accounts never records an older as-of after a newer one, but its events of one account may be
    # redelivered or replayed: the newest as-of stays here too
    await conn.execute(
        "INSERT INTO rm_balances (account_number, amount_due, currency, as_of, due_date)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_number) DO UPDATE SET"
        " amount_due = EXCLUDED.amount_due, currency = EXCLUDED.currency, as_of = EXCLUDED.as_of,"
        " due_date = EXCLUDED.due_date WHERE rm_balances.as_of <= EXCLUDED.as_of",
        e.account_number,
        e.amount_due,
        e.currency,
        e.as_of,
        e.due_date,
    )


# The events a registry import brings by the hundred thousand. Each is a fixed list of statements
# whose effect depends on nothing but the event, so a run of events of one type gives the same
# result with one executemany per statement (in order) as event by event -- at a fraction of the
# round trips.
BULK: dict[type[Message], tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]]]] = {
    AccountRegistered: (_ACCOUNT_REGISTERED, _account_registered_args),
    MeterRegistered: (_METER_REGISTERED, _meter_registered_args),
    MeterClosed: (_METER_CLOSED, _meter_closed_args),
    MeterRegisteredV2: (_METER_REGISTERED, _meter_registered_args),
    MeterReplaced: (_METER_CLOSED, _meter_closed_args),
}

APPLY: dict[type[Message], Apply] = {
    ResidentRegistered: _registered,
    ResidentContactUpdated: _contact_updated,
    ResidentErased: _erased,
    AccountLinked: _linked,
    AccountLinkRefused: _link_refused,
    AccountUnlinked: _unlinked,
    ReadingAccepted: _accepted,
    ReadingAcceptedV2: _accepted,
    ReadingWithdrawn: _withdrawn,
    ReadingReconciled: _reconciled,
    PeriodClosed: _period_closed,  # on billing-export's topic, where the gateway reads it
    BalanceRecorded: _balance_recorded,
}

KEPT: frozenset[type[Message]] = frozenset({*APPLY, *BULK})


async def apply_all(conn: asyncpg.Connection, messages: Sequence[Message]) -> None:
    """Update the read model for each of `messages`, in order (events it does not keep are ignored);
    runs of one BULK type go in one executemany per statement."""
    for kind, run in groupby(messages, key=type):
        if kind in BULK:
            statements, args = BULK[kind]
            rows = [args(m) for m in run]
            for sql in statements:
                await conn.executemany(sql, rows)
        elif kind in APPLY:
            for message in run:
                await APPLY[kind](conn, message)
    await apply_archive(conn, messages)  # its own table, in the same transaction (readmodel/archive.py)
    await apply_photos(conn, messages)  # issue 14 item 6: which photo belongs to which reading
