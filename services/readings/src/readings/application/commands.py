"""Commands from the gateway, a group at a time (group commit): the group's meters, chat links and
closed periods are loaded once, each command is decided in memory in order (a meter named twice is
decided the second time on the first one's outcome) and every answer is appended in one go, with
the inbox claims, in one transaction.

Every command gets an answer on meterbot.readings.events with its correlation id, because the gateway
waits for it: ReadingAccepted | ReadingRejected | ReadingConfirmationAsked (nothing recorded on the
meter's state: the resident is asked, issue 14), ReadingWithdrawn | ReadingWithdrawalRefused. The answer
goes to the meter's stream even for an id the registry never listed (unknown_meter): the stream then
holds only refusals, which change no state, and a later MeterRegistered simply follows them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from meterbot_contracts import Envelope, Message
from meterbot_contracts.readings import (
    DayNightReadingSubmitted,
    Period,
    ReadingAccepted,
    ReadingConfirmationAsked,
    ReadingPhotoAttached,
    ReadingPhotoRefused,
    ReadingPhotoSubmitted,
    ReadingRejected,
    ReadingSubmitted,
    ReadingSubmittedV2,
    ReadingWithdrawalRefused,
    ReadingWithdrawalRequested,
    ReadingWithdrawn,
)
from meterbot_platform.application import StreamBook, caused_by, group_handler
from meterbot_platform.clock import Clock, utc_now
from meterbot_platform.consumer import BatchHandler
from meterbot_platform.eventstore import EventStore

from readings import SERVICE
from readings.application.facts import known_facts
from readings.application.meters import METER, meter_book
from readings.domain import ReadingPolicy, decide_submission, decide_withdrawal
from readings.domain.day_night import decide_day_night
from readings.domain.photo import decide_photo
from readings.metrics import READINGS_ACCEPTED, READINGS_REJECTED, WITHDRAWALS

CONSUMER = "readings:commands"
ReadingCommand = ReadingSubmitted | ReadingWithdrawalRequested | ReadingPhotoSubmitted
Answer = (
    ReadingAccepted
    | ReadingRejected
    | ReadingConfirmationAsked
    | ReadingWithdrawn
    | ReadingWithdrawalRefused
    | ReadingPhotoAttached
    | ReadingPhotoRefused
)


@dataclass(frozen=True)
class Deps:
    """What the command handlers need besides the connection: injected, so tests fix time and ids."""

    store: EventStore
    policy: ReadingPolicy
    clock: Clock = utc_now
    new_id: Callable[[], UUID] = field(default=uuid4)


@dataclass
class CommandGroup:
    """What one group of commands is decided on, read once for the whole group."""

    meters: StreamBook
    linked: set[tuple[int, str]]  # (chat_id, account_number) pairs of the group that are linked
    closed: frozenset[Period]

    async def flush(self) -> object:
        return await self.meters.flush()


async def prepare(
    conn: asyncpg.Connection, deps: Deps, items: list[tuple[Envelope, ReadingCommand]]
) -> CommandGroup:
    meters = meter_book(conn, deps.store)
    pairs_night = {c.night_meter_id for _, c in items if isinstance(c, DayNightReadingSubmitted)}
    await meters.load(METER, {command.meter_id for _, command in items} | pairs_night)
    pairs = {(command.chat_id, command.account_number) for _, command in items}
    linked, closed = await known_facts(conn, pairs)
    return CommandGroup(meters, linked, closed)


def decide(group: CommandGroup, deps: Deps, envelope: Envelope, command: ReadingCommand) -> Answer:
    """Decide one command on the group's state and record its answer on the meter's stream."""
    state = group.meters.get(METER, command.meter_id)
    linked = (command.chat_id, command.account_number) in group.linked
    answers: list[Answer]
    if isinstance(command, DayNightReadingSubmitted):
        return _decide_pair(group, deps, envelope, command, linked=linked)
    if isinstance(command, ReadingPhotoSubmitted):
        photo = decide_photo(
            state,
            command,
            now=deps.clock(),
            chat_linked=linked,
            policy=deps.policy,
            closed_periods=group.closed,
        )
        group.meters.record(METER, command.meter_id, caused_by(envelope, photo), photo)
        return photo[0]
    if isinstance(command, ReadingSubmitted):
        answers = [
            *decide_submission(
                state,
                command,
                now=deps.clock(),
                reading_id=deps.new_id(),
                chat_linked=linked,
                policy=deps.policy,
                closed_periods=group.closed,
            )
        ]
    else:
        answers = [
            *decide_withdrawal(
                state,
                command,
                now=deps.clock(),
                chat_linked=linked,
                policy=deps.policy,
                closed_periods=group.closed,
            )
        ]
    [answer] = answers
    group.meters.record(METER, command.meter_id, caused_by(envelope, answers), answers)
    return answer


def _decide_pair(
    group: CommandGroup, deps: Deps, envelope: Envelope, command: DayNightReadingSubmitted, *, linked: bool
) -> Answer:
    """T1 and T2 together: both accepted (each on its own meter's stream, in the group's one
    transaction: both or neither are written), or the one answer that keeps both out."""
    answers = decide_day_night(
        group.meters.get(METER, command.meter_id),
        group.meters.get(METER, command.night_meter_id),
        command,
        now=deps.clock(),
        reading_ids=(deps.new_id(), deps.new_id()),
        chat_linked=linked,
        policy=deps.policy,
        closed_periods=group.closed,
    )
    for answer in answers:
        group.meters.record(METER, answer.meter_id, caused_by(envelope, [answer]), [answer])
    return answers[0]


def _count(answer: Message) -> str:
    """Metrics for a committed answer; the outcome label of meterbot_commands_handled_total."""
    if isinstance(answer, ReadingAccepted):
        READINGS_ACCEPTED.labels(SERVICE, answer.meter_type.value).inc()
        return "accepted"
    if isinstance(answer, ReadingRejected):
        READINGS_REJECTED.labels(SERVICE, answer.reason).inc()
        return "rejected"
    if isinstance(answer, ReadingConfirmationAsked):
        return "rejected"  # not accepted (yet): the outcome label keeps its four values
    if isinstance(answer, ReadingPhotoAttached | ReadingPhotoRefused):
        return "accepted" if isinstance(answer, ReadingPhotoAttached) else "rejected"
    if isinstance(answer, ReadingWithdrawn):
        WITHDRAWALS.labels(SERVICE, "withdrawn").inc()
        return "accepted"
    assert isinstance(answer, ReadingWithdrawalRefused)
    WITHDRAWALS.labels(SERVICE, answer.reason).inc()
    return "rejected"


def command_handler(pool: asyncpg.Pool, deps: Deps) -> BatchHandler:
    """The batch handler for ReadingSubmitted and ReadingWithdrawalRequested (group commit)."""

    async def prepared(conn: asyncpg.Connection, items: list[tuple[Envelope, Any]]) -> CommandGroup:
        return await prepare(conn, deps, items)

    return group_handler(
        pool,
        CONSUMER,
        prepare=prepared,
        decide=lambda group, envelope, command: decide(group, deps, envelope, command),
        count=_count,
    )


COMMANDS: tuple[type[Message], ...] = (
    ReadingSubmitted,
    ReadingSubmittedV2,
    DayNightReadingSubmitted,
    ReadingWithdrawalRequested,
    ReadingPhotoSubmitted,
)
