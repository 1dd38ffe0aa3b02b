"""Commands from the gateway, a group at a time (group commit): load the group's streams -> decide each in
order -> append every answer in one go, with the inbox claims, in one transaction.

Every command gets an answer on meterbot.accounts.events with its correlation id, because the gateway
waits for it:
- AccountLinkRequested -> AccountLinked (account stream) | AccountLinkRefused (the chat's
  link-attempts stream): locked_out with locked_until, unknown_account or wrong_pair with attempts_left.
- AccountUnlinkRequested -> AccountUnlinked. For a chat that is not linked to the account the domain
  decides nothing; the answer is still AccountUnlinked (after it the chat is not linked, which is what
  was asked; the event changes no state), appended to the account's stream like a real unlink."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import asyncpg
from meterbot_contracts import Envelope, Message
from meterbot_contracts.accounts import (
    AccountLinked,
    AccountLinkRefused,
    AccountLinkRequested,
    AccountUnlinked,
    AccountUnlinkRequested,
)
from meterbot_platform.application import StreamBook, caused_by, group_handler
from meterbot_platform.clock import Clock, utc_now
from meterbot_platform.consumer import BatchHandler
from meterbot_platform.eventstore import EventStore

from accounts import SERVICE
from accounts.application.streams import ACCOUNT, book, link_attempts_kind, load_account_failures
from accounts.domain import LinkAttemptPolicy, LinkAttempts, SurnameKeyring, decide_link, decide_unlink
from accounts.domain import link_attempts as lockout
from accounts.domain.link_attempts import ACCOUNT_POLICY
from accounts.metrics import LINK_ATTEMPTS, LINK_LOCKOUTS

CONSUMER = "accounts:commands"
LinkCommand = AccountLinkRequested | AccountUnlinkRequested
Answer = AccountLinked | AccountLinkRefused | AccountUnlinked
COMMANDS: tuple[type[Message], ...] = (AccountLinkRequested, AccountUnlinkRequested)


@dataclass(frozen=True)
class Deps:
    """What the command handlers need besides the connection: injected, so tests fix the time."""

    store: EventStore
    keyring: SurnameKeyring  # no default: a digest under a made-up key would match nothing
    policy: LinkAttemptPolicy = field(default_factory=LinkAttemptPolicy)
    clock: Clock = utc_now
    account_policy: LinkAttemptPolicy = ACCOUNT_POLICY


@dataclass
class LinkUnit:
    """What a group of commands is decided on: its streams, and each account's wrong pairs from
    every chat (kept current as the group's own refusals are decided)."""

    streams: StreamBook
    account_failures: dict[str, LinkAttempts]

    async def flush(self) -> int:
        return await self.streams.flush()


def decide(unit: LinkUnit, deps: Deps, envelope: Envelope, command: LinkCommand) -> Answer:
    """Decide one command on the group's streams and record its answer."""
    streams = unit.streams
    now = deps.clock()
    attempts_kind = link_attempts_kind(deps.policy)
    account = streams.get(ACCOUNT, command.account_number)
    answer: Answer
    if isinstance(command, AccountUnlinkRequested):
        [answer] = decide_unlink(account, command) or [
            AccountUnlinked(chat_id=command.chat_id, account_number=command.account_number)
        ]
        streams.record(ACCOUNT, command.account_number, caused_by(envelope, [answer], now), [answer])
        return answer
    attempts = streams.get(attempts_kind, command.chat_id)
    failures = unit.account_failures.get(command.account_number, LinkAttempts())
    [answer] = decide_link(
        account,
        command,
        attempts=attempts,
        now=now,
        policy=deps.policy,
        keyring=deps.keyring,
        account_attempts=failures,
        account_policy=deps.account_policy,
    )
    if isinstance(answer, AccountLinkRefused) and answer.reason == "wrong_pair":
        unit.account_failures[command.account_number] = lockout.evolve(
            failures, answer, at=now, policy=deps.account_policy
        )
    if isinstance(answer, AccountLinked):
        streams.record(ACCOUNT, command.account_number, caused_by(envelope, [answer], now), [answer])
    else:
        streams.record(attempts_kind, command.chat_id, caused_by(envelope, [answer], now), [answer])
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


def command_handler(pool: asyncpg.Pool, deps: Deps) -> BatchHandler:
    """The batch handler for AccountLinkRequested and AccountUnlinkRequested (group commit): the
    group's accounts and chats loaded in one go each, decided in order, appended together."""

    async def prepare(conn: asyncpg.Connection, items: list[tuple[Envelope, Any]]) -> LinkUnit:
        streams = book(conn, deps.store)
        await streams.load(ACCOUNT, {command.account_number for _, command in items})
        links = [c for _, c in items if isinstance(c, AccountLinkRequested)]
        await streams.load(link_attempts_kind(deps.policy), {c.chat_id for c in links})
        failures = await load_account_failures(conn, {c.account_number for c in links}, deps.account_policy)
        return LinkUnit(streams, failures)

    return group_handler(
        pool,
        CONSUMER,
        prepare=prepare,
        decide=lambda unit, envelope, command: decide(unit, deps, envelope, command),
        count=_count,
    )
