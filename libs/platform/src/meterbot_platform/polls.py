"""How a consumer handles one poll: records read (or parked), split by partition into groups for
the handlers, groups run with retries, outages waited out and failures parked one by one.

A poll's partitions are handled concurrently, each in order; within a partition, consecutive
messages for the same batch handler form one group (one transaction), a per-message handler gets
one message at a time. An outage (failures.is_transient) pauses a group and retries it for as long
as it lasts, never parking anything. Any other failure retries the group `max_attempts` times, then
its messages are handled one at a time, so only the one at fault is parked (handler_error); a batch
handler may also hand back messages it refused on their own (BatchResult.refused), parked alone
while the rest of the group commits. One DLQ entry per message that really failed."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias
from uuid import UUID

from aiokafka import ConsumerRecord
from meterbot_contracts import Envelope, Message, MessageRegistry, UnknownMessageType
from pydantic import ValidationError

from meterbot_platform.failures import ConsumerProgress, through_outages
from meterbot_platform.metrics import COMMANDS_HANDLED, HANDLER_DURATION
from meterbot_platform.parking import Park, oversize_reason

log = logging.getLogger(__name__)
Record: TypeAlias = "ConsumerRecord[Any, Any]"
Item = tuple[Record, Envelope, Any]


class DeadLetter(Exception):
    """Raised by a handler for a message that can never succeed: park it, carry on."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


@dataclass(frozen=True)
class BatchResult:
    """What a batch handler did with a group: the messages that took effect now (the others were
    duplicates), their outcome labels (default "accepted"), and those refused on their own (parked
    alone; they took no effect and are not claimed in the inbox)."""

    applied: Collection[UUID]
    outcomes: Mapping[UUID, str] = field(default_factory=dict)
    refused: Mapping[UUID, DeadLetter] = field(default_factory=dict)


# A batch handler gets the parsed messages of one group, in order, and applies them in one go
# (one transaction with an inbox claim per message).
BatchHandler = Callable[[list[tuple[Envelope, Any]]], Awaitable[Collection[UUID] | BatchResult]]


class Unreadable(Exception):
    """A record that is not a message of the registry: parked with `reason`."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


def _header(record: Record, name: str) -> str | None:
    for key, value in record.headers or ():
        if key == name:
            return bytes(value).decode(errors="replace")
    return None


def _skippable(
    record: Record, wanted: Collection[tuple[str, int]], known: Collection[tuple[str, int]]
) -> bool:
    """The headers say this is a known type the consumer does not handle (a topic carries many)."""
    type_, version = _header(record, "type"), _header(record, "version")
    if type_ is None or version is None or not version.isdigit():
        return False
    key = (type_, int(version))
    return key not in wanted and key in known


def _read(record: Record, registry: MessageRegistry) -> tuple[Envelope, Message]:
    if reason := oversize_reason(record):
        raise Unreadable(reason, f"{len(record.value or b'')} bytes")
    try:
        envelope = Envelope.from_bytes(record.value or b"")
    except ValidationError as exc:
        raise Unreadable("invalid_envelope", _short(exc)) from exc
    try:
        return envelope, registry.parse(envelope)
    except UnknownMessageType as exc:
        raise Unreadable("unknown_type", str(exc)) from exc
    except ValidationError as exc:
        raise Unreadable("invalid_payload", f"{envelope.type} v{envelope.version}: {_short(exc)}") from exc


def _short(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])


@dataclass
class _Step:
    """A park, or a group for one handler."""

    handler: BatchHandler | None
    items: list[Item]
    parked: tuple[Record, str, str] | None = None
    single: bool = False


@dataclass
class GroupRunner:
    """Runs the groups of one consumer: retries, outages, parking, metrics."""

    service: str
    park: Park
    progress: ConsumerProgress
    retry_delay: float

    async def run(self, handler: BatchHandler, items: list[Item], attempts: int) -> None:
        payload = [(envelope, message) for _, envelope, message in items]
        what = f"{self.service}: a group of {len(items)} {items[0][1].type}"
        started = time.perf_counter()
        failure: Exception | None = None
        for attempt in range(1, attempts + 1):
            try:
                result = await through_outages(lambda: handler(payload), what=what, progress=self.progress)
            except DeadLetter as exc:
                if len(items) == 1:
                    await self._refused(items[0], exc)
                    return
                failure = exc  # a batch handler should return refusals: find the one at fault
                break
            except Exception as exc:
                failure = exc
                if attempt < attempts:
                    log.warning("%s failed (attempt %d), will retry: %s", what, attempt, exc)
                    await asyncio.sleep(self.retry_delay * attempt)
                    continue
                break
            self._count(items, result, time.perf_counter() - started)
            if isinstance(result, BatchResult):
                for item in items:
                    if (refusal := result.refused.get(item[1].message_id)) is not None:
                        await self._refused(item, refusal)
            return
        if len(items) == 1:
            _, envelope, _ = items[0]
            log.error("giving up on %s after %d attempts: %r", envelope.type, attempts, failure)
            COMMANDS_HANDLED.labels(self.service, envelope.type, "error").inc()
            await self.park(items[0][0], "handler_error", f"{type(failure).__name__}: {failure}")
            return
        log.warning("%s keeps failing (%s); handling it one message at a time", what, failure)
        for item in items:
            await self.run(handler, [item], attempts=1)

    async def _refused(self, item: Item, refusal: DeadLetter) -> None:
        COMMANDS_HANDLED.labels(self.service, item[1].type, "error").inc()
        await self.park(item[0], refusal.reason, refusal.detail)

    def _count(self, items: list[Item], result: Collection[UUID] | BatchResult, took: float) -> None:
        if not isinstance(result, BatchResult):
            result = BatchResult(applied=set(result))
        applied = set(result.applied)
        outcomes: Counter[tuple[str, str]] = Counter()
        for _, envelope, _ in items:
            mid = envelope.message_id
            if mid in result.refused:
                continue
            outcome = result.outcomes.get(mid, "accepted") if mid in applied else "duplicate"
            outcomes[(envelope.type, outcome)] += 1
            HANDLER_DURATION.labels(self.service, envelope.type).observe(took / len(items))
        for (type_name, outcome), count in outcomes.items():
            COMMANDS_HANDLED.labels(self.service, type_name, outcome).inc(count)


@dataclass
class PollPlan:
    """Which handler takes which message of a poll, and the running of it."""

    registry: MessageRegistry
    by_type: Mapping[tuple[str, int], BatchHandler]
    one_by_one: Collection[tuple[str, int]]
    known: Collection[tuple[str, int]]
    groups: GroupRunner
    max_attempts: int

    def plan(self, records: list[Record]) -> list[_Step]:
        """One partition's records as steps, in order: parks and groups (a run of messages for
        one batch handler; one message for a per-message one)."""
        steps: list[_Step] = []
        for record in records:
            if _skippable(record, self.by_type, self.known):
                continue
            try:
                envelope, message = _read(record, self.registry)
            except Unreadable as exc:
                steps.append(_Step(None, [], (record, exc.reason, exc.detail)))
                continue
            key = (envelope.type, envelope.version)
            handler = self.by_type.get(key)
            if handler is None:
                continue
            last = steps[-1] if steps else None
            if last is None or last.handler is not handler or last.single or key in self.one_by_one:
                steps.append(_Step(handler, [], single=key in self.one_by_one))
            steps[-1].items.append((record, envelope, message))
        return steps

    async def execute(self, steps: list[_Step]) -> None:
        for step in steps:
            if step.handler is None:
                assert step.parked is not None
                await self.groups.park(*step.parked)
            else:
                await self.groups.run(step.handler, step.items, self.max_attempts)

    async def handle(self, records: Sequence[Record]) -> None:
        """Partitions concurrently, each in order. Partitions that hold nothing but one batch
        handler's messages are merged into one group: one transaction for the poll, not one per
        partition (at a few messages per poll the commits, and the relay and projection runs
        each commit wakes, were most of the cost)."""
        by_partition: dict[tuple[str, int], list[Record]] = defaultdict(list)
        for record in records:
            by_partition[(record.topic, record.partition)].append(record)
        merged: dict[BatchHandler, list[Item]] = {}
        separate: list[list[_Step]] = []
        for partition_records in by_partition.values():
            steps = self.plan(partition_records)
            if len(steps) == 1 and steps[0].handler is not None and not steps[0].single:
                merged.setdefault(steps[0].handler, []).extend(steps[0].items)
            elif steps:
                separate.append(steps)
        # mixed partitions first (e.g. the facts a service learns from others, one by one), so the
        # merged groups (its commands) are decided on what the poll told it
        _raise_first(await asyncio.gather(*map(self.execute, separate), return_exceptions=True))
        jobs = [self.groups.run(handler, items, self.max_attempts) for handler, items in merged.items()]
        _raise_first(await asyncio.gather(*jobs, return_exceptions=True))


def _raise_first(results: Sequence[object]) -> None:
    for result in results:
        if isinstance(result, BaseException):
            raise result  # NACK: the poll is delivered again (inbox claims absorb repeats)
