"""The billing registry (RegistryRecord on meterbot.billing.registry.v1) -> the meters' streams.

A poll's records are applied in ONE transaction, each behind its own inbox claim: MeterRegistered for
a meter that is new or changed (a re-import of the same content appends nothing), MeterClosed for a
meter the account had and its new record no longer lists. The transaction is retried whole when a
reading was appended to one of its meters meanwhile."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from uuid import UUID

import asyncpg
from meterbot_contracts import Envelope
from meterbot_contracts.billing import RegistryMeter, RegistryRecord
from meterbot_platform import inbox
from meterbot_platform.consumer import BatchHandler
from meterbot_platform.eventstore import ConcurrencyConflict, EventStore

from readings.application.meters import MeterBook
from readings.domain import decide_closure, decide_registration, meters_to_close

CONSUMER = "readings:registry"
ATTEMPTS = 5


class AccountMeters:
    """account_number -> the meter ids its last registry record listed (table account_meters)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn
        self._known: dict[str, set[str]] = {}
        self._changed: set[str] = set()

    async def load(self, accounts: Iterable[str]) -> None:
        wanted = sorted(set(accounts) - self._known.keys())
        for account in wanted:
            self._known[account] = set()
        rows = await self._conn.fetch(
            "SELECT account_number, meter_id FROM account_meters WHERE account_number = ANY($1::text[])",
            wanted,
        )
        for row in rows:
            self._known[row["account_number"]].add(row["meter_id"])

    def known(self, account: str) -> set[str]:
        return self._known[account]

    def all_known(self) -> set[str]:
        return set().union(*self._known.values()) if self._known else set()

    def replace(self, account: str, meter_ids: set[str]) -> None:
        if self._known[account] != meter_ids:
            self._known[account] = meter_ids
            self._changed.add(account)

    async def save(self) -> None:
        if not self._changed:
            return
        changed = sorted(self._changed)
        pairs = [(a, m) for a in changed for m in sorted(self._known[a])]
        await self._conn.execute("DELETE FROM account_meters WHERE account_number = ANY($1::text[])", changed)
        await self._conn.execute(
            "INSERT INTO account_meters (account_number, meter_id)"
            " SELECT * FROM unnest($1::text[], $2::text[])",
            [a for a, _ in pairs],
            [m for _, m in pairs],
        )
        self._changed.clear()


def _listed(record: RegistryRecord) -> list[RegistryMeter]:
    """The record's meters, one per id (a meter listed twice: the last row wins)."""
    return list({m.meter_id: m for m in record.meters}.values())


async def apply_record(
    meters: MeterBook, accounts: AccountMeters, envelope: Envelope, record: RegistryRecord
) -> None:
    account = record.account_number
    listed = _listed(record)
    for meter in listed:
        state = await meters.get(meter.meter_id)
        meters.record(envelope, meter.meter_id, decide_registration(state, account, meter))
    for meter_id in sorted(meters_to_close(accounts.known(account), listed)):
        state = await meters.get(meter_id)
        meters.record(envelope, meter_id, decide_closure(state, account))
    accounts.replace(account, {m.meter_id for m in listed})


async def import_batch(
    conn: asyncpg.Connection, store: EventStore, items: Sequence[tuple[Envelope, RegistryRecord]]
) -> set[UUID]:
    """Apply the records not seen before, in order; return their message ids."""
    accounts = AccountMeters(conn)
    await accounts.load(record.account_number for _, record in items)
    meters = MeterBook(conn, store)
    await meters.load({m.meter_id for _, r in items for m in r.meters} | accounts.all_known())
    claimed = await inbox.claim_many(conn, CONSUMER, [envelope.message_id for envelope, _ in items])
    applied: set[UUID] = set()
    for envelope, record in items:
        if envelope.message_id in claimed and envelope.message_id not in applied:  # twice in a poll: once
            await apply_record(meters, accounts, envelope, record)
            applied.add(envelope.message_id)
    await meters.flush()
    await accounts.save()
    return applied


def registry_handler(pool: asyncpg.Pool, store: EventStore) -> BatchHandler:
    async def handle(items: list[tuple[Envelope, RegistryRecord]]) -> set[UUID]:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                async with pool.acquire() as conn, conn.transaction():
                    return await import_batch(conn, store, items)
            except ConcurrencyConflict:
                if attempt == ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    return handle
