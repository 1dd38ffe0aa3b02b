"""The account stream (`account-{number}`) and the chat's link-attempts stream (`link-attempts-{chat_id}`).

A link attempt reads both: the account says whether the pair matches, the chat's refusals say whether
it is locked out. AccountLinked goes to the account's stream; every AccountLinkRefused goes to the
chat's stream only (a refusal changes no account), so the lockout is folded from one short stream and
two chats trying one account never conflict. The refusal's `at` is the time it was decided, kept as
the event's occurred_at (the contract carries no timestamp; the clock is injected)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import cast

import asyncpg
from meterbot_contracts import Envelope, Message
from meterbot_contracts.accounts import AccountLinkRefused
from meterbot_contracts.all import default_registry
from meterbot_platform.application import as_messages, caused_by, load_stream, load_streams
from meterbot_platform.eventstore import EventStore, NewEvent, StreamAppend

from accounts.domain import AccountEvent, AccountState, LinkAttemptPolicy, LinkAttempts, fold
from accounts.domain import link_attempts as lockout

ACCOUNT_PREFIX = "account-"
LINK_ATTEMPTS_PREFIX = "link-attempts-"


def account_stream(account_number: str) -> str:
    return f"{ACCOUNT_PREFIX}{account_number}"


def link_attempts_stream(chat_id: int) -> str:
    return f"{LINK_ATTEMPTS_PREFIX}{chat_id}"


def caused_at(envelope: Envelope, messages: Sequence[Message], at: datetime) -> list[NewEvent]:
    """Events caused by `envelope` (its correlation id, it as the cause) that occurred at `at`."""
    return [
        NewEvent.of(
            m, correlation_id=envelope.correlation_id, causation_id=str(envelope.message_id), occurred_at=at
        )
        for m in messages
    ]


def _fold(messages: Iterable[Message], state: AccountState | None = None) -> AccountState:
    return fold(cast(Iterable[AccountEvent], messages), state)


async def load_account(
    conn: asyncpg.Connection, store: EventStore, account_number: str
) -> tuple[AccountState, int]:
    """The account's state and stream version (0: the registry never listed it)."""
    events, version = await load_stream(conn, store, account_stream(account_number))
    return _fold(as_messages(events, default_registry)), version


async def load_link_attempts(
    conn: asyncpg.Connection, store: EventStore, chat_id: int, policy: LinkAttemptPolicy
) -> tuple[LinkAttempts, int]:
    """The chat's wrong tries that may still count, and its stream version."""
    events, version = await load_stream(conn, store, link_attempts_stream(chat_id))
    refusals = [
        (cast(AccountLinkRefused, m), e.occurred_at)
        for e, m in zip(events, as_messages(events, default_registry), strict=True)
    ]
    return lockout.fold(refusals, policy), version


class AccountBook:
    """The accounts one registry batch works on: loaded in one query, kept current as events are
    recorded (a batch naming an account twice decides the second time on the first one's outcome),
    and written in one statement by flush()."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn
        self._accounts: dict[str, tuple[AccountState, int]] = {}
        self._pending: list[StreamAppend] = []

    async def load(self, account_numbers: Iterable[str]) -> None:
        wanted = sorted({n for n in account_numbers if n not in self._accounts})
        if not wanted:
            return
        streams = await load_streams(self._conn, map(account_stream, wanted), default_registry)
        for number in wanted:
            messages, version = streams[account_stream(number)]
            self._accounts[number] = (_fold(messages), version)

    def get(self, account_number: str) -> AccountState:
        return self._accounts[account_number][0]

    def record(self, envelope: Envelope, account_number: str, messages: Sequence[Message]) -> None:
        """Queue what the domain decided (nothing if empty) and move the account's state on."""
        if not messages:
            return
        state, version = self._accounts[account_number]
        stream = account_stream(account_number)
        self._pending.append(StreamAppend(stream, caused_by(envelope, messages), version))
        self._accounts[account_number] = (_fold(messages, state), version + len(messages))

    async def flush(self) -> int:
        """Append everything recorded; ConcurrencyConflict if another writer moved one of the streams
        since it was loaded. How many events."""
        appended = await EventStore().append_many(self._conn, self._pending)
        self._pending.clear()
        return appended
