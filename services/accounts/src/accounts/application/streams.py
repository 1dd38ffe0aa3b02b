"""The account stream (`account-{number}`) and the chat's link-attempts stream (`link-attempts-{chat_id}`)
as kinds of stream (platform StreamBook): loaded many at once, from their snapshots.

A link attempt reads both: the account says whether the pair matches, the chat's refusals say whether
it is locked out. AccountLinked goes to the account's stream; every AccountLinkRefused goes to the
chat's stream only (a refusal changes no account), so the lockout is folded from one short stream and
two chats trying one account never conflict. The refusal's `at` is the time it was decided, kept as
the event's occurred_at (the contract carries no timestamp; the clock is injected)."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import asyncpg
from meterbot_contracts import Message
from meterbot_contracts.accounts import AccountLinkRefused
from meterbot_contracts.all import default_registry
from meterbot_platform.application import StreamBook, StreamKind
from meterbot_platform.eventstore import EventStore

from accounts.domain import AccountEvent, AccountState, LinkAttemptPolicy, LinkAttempts, evolve
from accounts.domain import link_attempts as lockout

ACCOUNT_PREFIX = "account-"
LINK_ATTEMPTS_PREFIX = "link-attempts-"


def _evolve_account(state: AccountState, message: Message, _: datetime) -> AccountState:
    return evolve(state, cast(AccountEvent, message))


# bump a schema when its state model changes shape: older snapshots are then ignored (replayed)
ACCOUNT = StreamKind(ACCOUNT_PREFIX, AccountState, _evolve_account, snapshot_schema="accounts.AccountState/1")


def link_attempts_kind(policy: LinkAttemptPolicy) -> StreamKind[LinkAttempts]:
    """The chat's wrong tries that may still count; the window decides which are dropped, so it is
    part of the snapshot's schema (another window replays the chat's stream)."""

    def _evolve(state: LinkAttempts, message: Message, at: datetime) -> LinkAttempts:
        return lockout.evolve(state, cast(AccountLinkRefused, message), at=at, policy=policy)

    window = int(policy.window.total_seconds())
    return StreamKind(LINK_ATTEMPTS_PREFIX, LinkAttempts, _evolve, f"accounts.LinkAttempts/1/{window}s")


def account_stream(account_number: str) -> str:
    return ACCOUNT.stream(account_number)


def link_attempts_stream(chat_id: int) -> str:
    return f"{LINK_ATTEMPTS_PREFIX}{chat_id}"


def book(conn: asyncpg.Connection, store: EventStore) -> StreamBook:
    return StreamBook(conn, store, default_registry)


# Enough for any window: past the lockout an account gains at most max_failures wrong pairs a window.
ACCOUNT_FAILURES_SCAN = 1000


async def load_account_failures(
    conn: asyncpg.Connection, account_numbers: set[str], policy: LinkAttemptPolicy
) -> dict[str, LinkAttempts]:
    """Each account's wrong pairs from every chat (they live on the chats' streams: the per-account
    lockout), newest first through the partial index accounts/002."""
    failures: dict[str, LinkAttempts] = {}
    for number in sorted(account_numbers):
        rows = await conn.fetch(
            "SELECT data::text AS data, metadata->>'occurred_at' AS at FROM events"
            " WHERE type = $1 AND data->>'account_number' = $2 AND data->>'reason' = 'wrong_pair'"
            " ORDER BY position DESC LIMIT $3",
            AccountLinkRefused.TYPE,
            number,
            ACCOUNT_FAILURES_SCAN,
        )
        refusals = [
            (AccountLinkRefused.model_validate_json(r["data"]), datetime.fromisoformat(r["at"])) for r in rows
        ]
        failures[number] = lockout.fold_account(refusals, policy)
    return failures
