"""Commands from the gateway: load the meter -> decide -> append exactly one answer event.

Every command gets an answer on meterbot.readings.events with its correlation id, because the gateway
waits for it: ReadingAccepted | ReadingRejected, ReadingWithdrawn | ReadingWithdrawalRefused. The answer
goes to the meter's stream even for an id the registry never listed (unknown_meter): the stream then
holds only refusals, which change no state, and a later MeterRegistered simply follows them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID, uuid4

import asyncpg
from meterbot_contracts import Envelope, Message
from meterbot_contracts.readings import (
    ReadingAccepted,
    ReadingRejected,
    ReadingSubmitted,
    ReadingWithdrawalRefused,
    ReadingWithdrawalRequested,
    ReadingWithdrawn,
)
from meterbot_platform.application import answering_handler, caused_by
from meterbot_platform.consumer import Handler
from meterbot_platform.eventstore import EventStore

from readings import SERVICE
from readings.application.facts import closed_periods, is_linked
from readings.application.meters import load_meter, meter_stream
from readings.domain import ReadingPolicy, decide_submission, decide_withdrawal
from readings.metrics import READINGS_ACCEPTED, READINGS_REJECTED, WITHDRAWALS

CONSUMER = "readings:commands"
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Deps:
    """What the command handlers need besides the connection: injected, so tests fix time and ids."""

    store: EventStore
    policy: ReadingPolicy
    clock: Clock = utc_now
    new_id: Callable[[], UUID] = field(default=uuid4)


async def submit_reading(
    conn: asyncpg.Connection, deps: Deps, envelope: Envelope, command: ReadingSubmitted
) -> ReadingAccepted | ReadingRejected:
    state, version = await load_meter(conn, deps.store, command.meter_id)
    [answer] = decide_submission(
        state,
        command,
        now=deps.clock(),
        reading_id=deps.new_id(),
        chat_linked=await is_linked(conn, command.chat_id, command.account_number),
        policy=deps.policy,
        closed_periods=await closed_periods(conn),
    )
    await deps.store.append(conn, meter_stream(command.meter_id), caused_by(envelope, [answer]), version)
    return answer


async def withdraw_reading(
    conn: asyncpg.Connection, deps: Deps, envelope: Envelope, command: ReadingWithdrawalRequested
) -> ReadingWithdrawn | ReadingWithdrawalRefused:
    state, version = await load_meter(conn, deps.store, command.meter_id)
    [answer] = decide_withdrawal(
        state,
        command,
        now=deps.clock(),
        chat_linked=await is_linked(conn, command.chat_id, command.account_number),
        policy=deps.policy,
        closed_periods=await closed_periods(conn),
    )
    await deps.store.append(conn, meter_stream(command.meter_id), caused_by(envelope, [answer]), version)
    return answer


def _count(answer: Message) -> str:
    """Metrics for a committed answer; the outcome label of meterbot_commands_handled_total."""
    if isinstance(answer, ReadingAccepted):
        READINGS_ACCEPTED.labels(SERVICE, answer.meter_type.value).inc()
        return "accepted"
    if isinstance(answer, ReadingRejected):
        READINGS_REJECTED.labels(SERVICE, answer.reason).inc()
        return "rejected"
    if isinstance(answer, ReadingWithdrawn):
        WITHDRAWALS.labels(SERVICE, "withdrawn").inc()
        return "accepted"
    assert isinstance(answer, ReadingWithdrawalRefused)
    WITHDRAWALS.labels(SERVICE, answer.reason).inc()
    return "rejected"


def command_handlers(pool: asyncpg.Pool, deps: Deps) -> Mapping[type[Message], Handler]:
    """Subscriber handlers: inbox claim + load + decide + append in one transaction, retried when
    another writer moved the meter's stream first; metrics once committed."""
    return {
        ReadingSubmitted: answering_handler(
            pool,
            CONSUMER,
            lambda conn, envelope, command: submit_reading(conn, deps, envelope, command),
            _count,
        ),
        ReadingWithdrawalRequested: answering_handler(
            pool,
            CONSUMER,
            lambda conn, envelope, command: withdraw_reading(conn, deps, envelope, command),
            _count,
        ),
    }
