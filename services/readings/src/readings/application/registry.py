"""The billing registry (RegistryRecord on meterbot.billing.registry.v1) -> the meters' streams.

A poll's records are applied in ONE transaction, each behind its own inbox claim: MeterRegistered for
a meter that is new or changed (a re-import of the same content appends nothing), MeterClosed for a
meter the account had and its new record no longer lists, MeterReplaced (before that) for an open
meter a listed one names in replaces_meter_id (platform group_handler: loads first, the
appends and inbox claims last). The transaction is run again whole when a reading was appended to
one of its meters meanwhile."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import asyncpg
from meterbot_contracts import Envelope
from meterbot_contracts.billing import RegistryMeter, RegistryMeterV2, RegistryRecord
from meterbot_platform.application import StreamBook, caused_by, group_handler
from meterbot_platform.consumer import BatchHandler
from meterbot_platform.eventstore import EventStore

from readings.application.meters import METER, meter_book
from readings.domain import decide_closure, decide_registration, decide_replacement, meters_to_close

CONSUMER = "readings:registry"


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


@dataclass
class RegistryGroup:
    """What a poll of registry records works on: the accounts' meter lists and the meters."""

    meters: StreamBook
    accounts: AccountMeters

    async def flush(self) -> object:
        written = await self.meters.flush()
        await self.accounts.save()
        return written


async def prepare(
    conn: asyncpg.Connection, store: EventStore, items: list[tuple[Envelope, RegistryRecord]]
) -> RegistryGroup:
    accounts = AccountMeters(conn)
    await accounts.load(record.account_number for _, record in items)
    meters = meter_book(conn, store)
    listed = {m.meter_id for _, r in items for m in r.meters}
    replaced = {m.replaces_meter_id for _, r in items for m in r.meters if isinstance(m, RegistryMeterV2)}
    await meters.load(METER, listed | {r for r in replaced if r} | accounts.all_known())
    return RegistryGroup(meters, accounts)


def apply_record(group: RegistryGroup, envelope: Envelope, record: RegistryRecord) -> None:
    meters, accounts, account = group.meters, group.accounts, record.account_number
    listed = _listed(record)
    for meter in listed:
        events = decide_registration(meters.get(METER, meter.meter_id), account, meter)
        new = meters.record(METER, meter.meter_id, caused_by(envelope, events), events)
        old_id = meter.replaces_meter_id if isinstance(meter, RegistryMeterV2) else None
        if old_id and new.info is not None:  # before the closures: the old meter is replaced, not just closed
            replaced = decide_replacement(meters.get(METER, old_id), new.info)
            meters.record(METER, old_id, caused_by(envelope, replaced), replaced)
    for meter_id in sorted(meters_to_close(accounts.known(account), listed)):
        closures = decide_closure(meters.get(METER, meter_id), account)
        meters.record(METER, meter_id, caused_by(envelope, closures), closures)
    accounts.replace(account, {m.meter_id for m in listed})


def registry_handler(pool: asyncpg.Pool, store: EventStore) -> BatchHandler:
    """A poll's records in one transaction (group commit), each applied once (inbox)."""

    async def prepared(conn: asyncpg.Connection, items: list[tuple[Envelope, Any]]) -> RegistryGroup:
        return await prepare(conn, store, items)

    return group_handler(
        pool,
        CONSUMER,
        prepare=prepared,
        decide=apply_record,
        count=lambda _: "accepted",
    )
