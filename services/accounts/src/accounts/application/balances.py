"""Balances (BalanceRecord on meterbot.billing.balances.v1) -> the account's balance stream.

Why accounts: a balance belongs to a personal account (лицевой счёт), which accounts owns (its number,
its links to chats); readings owns meters. The gateway already reads accounts' events, so
BalanceRecorded reaches the bot's read model with no new subscription.

A poll's records are applied in ONE transaction (platform group_handler), each behind its own inbox
claim: a redelivered message is skipped by the inbox, an older or identical record by the rule
(domain.balance). Malformed records never get here: the consumer parks them on the topic's .dlq
with the reason."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import asyncpg
from meterbot_contracts import Envelope, Message
from meterbot_contracts.accounts import BalanceRecorded
from meterbot_contracts.all import default_registry
from meterbot_contracts.billing import BalanceRecord
from meterbot_platform.application import StreamBook, StreamKind, caused_by, group_handler
from meterbot_platform.consumer import BatchHandler
from meterbot_platform.eventstore import EventStore

from accounts.domain.balance import BalanceState, decide_balance, evolve_balance

CONSUMER = "accounts:balances"


def _evolve(state: BalanceState, message: Message, _: datetime) -> BalanceState:
    return evolve_balance(state, cast(BalanceRecorded, message))


BALANCE = StreamKind("balance-", BalanceState, _evolve, snapshot_schema="accounts.BalanceState/1")


def balance_stream(account_number: str) -> str:
    return BALANCE.stream(account_number)


def apply_balance(balances: StreamBook, envelope: Envelope, record: BalanceRecord) -> str:
    events = decide_balance(balances.get(BALANCE, record.account_number), record)
    balances.record(BALANCE, record.account_number, caused_by(envelope, events), events)
    return "recorded" if events else "unchanged"


def balances_handler(pool: asyncpg.Pool, store: EventStore | None = None) -> BatchHandler:
    async def prepare(conn: asyncpg.Connection, items: list[tuple[Envelope, Any]]) -> StreamBook:
        balances = StreamBook(conn, store or EventStore(), default_registry)
        await balances.load(BALANCE, {record.account_number for _, record in items})
        return balances

    return group_handler(pool, CONSUMER, prepare=prepare, decide=apply_balance, count=lambda outcome: outcome)
