"""The billing registry (RegistryRecord on meterbot.billing.registry.v1) -> the accounts' streams.

A poll's records are applied in ONE transaction (platform group_handler), each behind its own inbox
claim: AccountRegistered (surname digest + address) for an account that is new or changed; a
re-import of the same content appends nothing. The transaction is run again whole when a link was
appended to one of its accounts meanwhile. Meters are not accounts' business: readings builds them
from the same topic."""

from __future__ import annotations

from typing import Any

import asyncpg
from meterbot_contracts import Envelope
from meterbot_contracts.billing import RegistryRecord
from meterbot_platform.application import StreamBook, caused_by, group_handler
from meterbot_platform.consumer import BatchHandler
from meterbot_platform.eventstore import EventStore

from accounts import SERVICE
from accounts.application.streams import ACCOUNT, book
from accounts.domain import SurnameKeyring, decide_registration
from accounts.metrics import REGISTRY_ACCOUNTS

CONSUMER = "accounts:registry"


def apply_record(
    accounts: StreamBook, envelope: Envelope, record: RegistryRecord, keyring: SurnameKeyring
) -> bool:
    """Whether the account was registered or changed."""
    events = decide_registration(accounts.get(ACCOUNT, record.account_number), record, keyring=keyring)
    accounts.record(ACCOUNT, record.account_number, caused_by(envelope, events), events)
    return bool(events)


def _count(registered: bool) -> str:
    REGISTRY_ACCOUNTS.labels(SERVICE, "registered" if registered else "unchanged").inc()
    return "accepted"


def registry_handler(
    pool: asyncpg.Pool, keyring: SurnameKeyring, store: EventStore | None = None
) -> BatchHandler:
    async def prepare(conn: asyncpg.Connection, items: list[tuple[Envelope, Any]]) -> StreamBook:
        accounts = book(conn, store or EventStore())
        await accounts.load(ACCOUNT, {record.account_number for _, record in items})
        return accounts

    return group_handler(
        pool,
        CONSUMER,
        prepare=prepare,
        decide=lambda accounts, envelope, record: apply_record(accounts, envelope, record, keyring),
        count=_count,
    )
