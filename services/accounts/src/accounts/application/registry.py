"""The billing registry (RegistryRecord on meterbot.billing.registry.v1) -> the accounts' streams.

A poll's records are applied in ONE transaction, each behind its own inbox claim: AccountRegistered
(surname digest + address) for an account that is new or changed; a re-import of the same content
appends nothing. The transaction is retried whole when a link was appended to one of its accounts
meanwhile. Meters are not accounts' business: readings builds them from the same topic."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg
from meterbot_contracts import Envelope
from meterbot_contracts.billing import RegistryRecord
from meterbot_platform import inbox
from meterbot_platform.consumer import BatchHandler
from meterbot_platform.eventstore import ConcurrencyConflict

from accounts import SERVICE
from accounts.application.streams import AccountBook
from accounts.domain import decide_registration
from accounts.metrics import REGISTRY_ACCOUNTS

CONSUMER = "accounts:registry"
ATTEMPTS = 5


async def import_batch(
    conn: asyncpg.Connection, items: Sequence[tuple[Envelope, RegistryRecord]]
) -> tuple[set[UUID], int]:
    """Apply the records not seen before, in order; (their message ids, accounts registered or changed)."""
    claimed = await inbox.claim_many(conn, CONSUMER, [envelope.message_id for envelope, _ in items])
    book = AccountBook(conn)
    await book.load(record.account_number for envelope, record in items if envelope.message_id in claimed)
    applied: set[UUID] = set()
    registered = 0
    for envelope, record in items:
        if envelope.message_id not in claimed or envelope.message_id in applied:
            continue  # seen before, or twice in this poll
        events = decide_registration(book.get(record.account_number), record)
        book.record(envelope, record.account_number, events)
        applied.add(envelope.message_id)
        registered += bool(events)
    await book.flush()
    return applied, registered


def registry_handler(pool: asyncpg.Pool) -> BatchHandler:
    async def handle(items: list[tuple[Envelope, RegistryRecord]]) -> set[UUID]:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                async with pool.acquire() as conn, conn.transaction():
                    applied, registered = await import_batch(conn, items)
            except ConcurrencyConflict:
                if attempt == ATTEMPTS:
                    raise
                continue
            REGISTRY_ACCOUNTS.labels(SERVICE, "registered").inc(registered)
            REGISTRY_ACCOUNTS.labels(SERVICE, "unchanged").inc(len(applied) - registered)
            return applied
        raise AssertionError("unreachable")

    return handle
