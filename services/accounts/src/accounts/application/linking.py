"""Commands from the gateway: load -> decide -> append exactly one answer event.

Every command gets an answer on meterbot.accounts.events with its correlation id, because the gateway
waits for it:
- AccountLinkRequested -> AccountLinked (account stream) | AccountLinkRefused (the chat's
  link-attempts stream): locked_out with locked_until, unknown_account or wrong_pair with attempts_left.
- AccountUnlinkRequested -> AccountUnlinked. For a chat that is not linked to the account the domain
  decides nothing; the answer is still AccountUnlinked (after it the chat is not linked, which is what
  was asked; the event changes no state), appended to the account's stream like a real unlink."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg
from meterbot_contracts import Envelope, Message
from meterbot_contracts.accounts import (
    AccountLinked,
    AccountLinkRefused,
    AccountLinkRequested,
    AccountUnlinked,
    AccountUnlinkRequested,
)
from meterbot_platform.application import answering_handler
from meterbot_platform.consumer import Handler
from meterbot_platform.eventstore import EventStore

from accounts import SERVICE
from accounts.application.streams import (
    account_stream,
    caused_at,
    link_attempts_stream,
    load_account,
    load_link_attempts,
)
from accounts.domain import LinkAttemptPolicy, decide_link, decide_unlink
from accounts.metrics import LINK_ATTEMPTS, LINK_LOCKOUTS

CONSUMER = "accounts:commands"
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Deps:
    """What the command handlers need besides the connection: injected, so tests fix the time."""

    store: EventStore
    policy: LinkAttemptPolicy = field(default_factory=LinkAttemptPolicy)
    clock: Clock = utc_now


async def link_account(
    conn: asyncpg.Connection, deps: Deps, envelope: Envelope, command: AccountLinkRequested
) -> AccountLinked | AccountLinkRefused:
    now = deps.clock()
    account, account_version = await load_account(conn, deps.store, command.account_number)
    attempts, attempts_version = await load_link_attempts(conn, deps.store, command.chat_id, deps.policy)
    [answer] = decide_link(account, command, attempts=attempts, now=now, policy=deps.policy)
    if isinstance(answer, AccountLinked):
        stream, version = account_stream(command.account_number), account_version
    else:
        stream, version = link_attempts_stream(command.chat_id), attempts_version
    await deps.store.append(conn, stream, caused_at(envelope, [answer], now), version)
    return answer


async def unlink_account(
    conn: asyncpg.Connection, deps: Deps, envelope: Envelope, command: AccountUnlinkRequested
) -> AccountUnlinked:
    account, version = await load_account(conn, deps.store, command.account_number)
    [answer] = decide_unlink(account, command) or [
        AccountUnlinked(chat_id=command.chat_id, account_number=command.account_number)
    ]
    stream = account_stream(command.account_number)
    await deps.store.append(conn, stream, caused_at(envelope, [answer], deps.clock()), version)
    return answer


def _count(answer: Message) -> str:
    """Metrics for a committed answer; the outcome label of meterbot_commands_handled_total."""
    if isinstance(answer, AccountLinked):
        LINK_ATTEMPTS.labels(SERVICE, "linked").inc()
        return "accepted"
    if isinstance(answer, AccountLinkRefused):
        LINK_ATTEMPTS.labels(SERVICE, answer.reason).inc()
        if answer.reason != "locked_out" and answer.locked_until is not None:
            LINK_LOCKOUTS.labels(SERVICE).inc()  # this wrong try used up the last attempt
        return "rejected"
    return "accepted"


def command_handlers(pool: asyncpg.Pool, deps: Deps) -> Mapping[type[Message], Handler]:
    """Subscriber handlers: inbox claim + load + decide + append in one transaction, retried when
    another writer moved a stream first; metrics once committed."""
    return {
        AccountLinkRequested: answering_handler(
            pool,
            CONSUMER,
            lambda conn, envelope, command: link_account(conn, deps, envelope, command),
            _count,
        ),
        AccountUnlinkRequested: answering_handler(
            pool,
            CONSUMER,
            lambda conn, envelope, command: unlink_account(conn, deps, envelope, command),
            _count,
        ),
    }
