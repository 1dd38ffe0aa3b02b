"""The real broker seen from outside, for a service's integration tests: Bus (publish envelopes,
read topics from the beginning by manual assignment, wait for the events a command caused) and
TopicLog (every message of some topics with its topic and key, read through a consumer group)."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from meterbot_contracts import Envelope, Message, new_envelope


class Bus:
    def __init__(self, bootstrap: str, topics: list[str]) -> None:
        self.bootstrap, self.topics = bootstrap, topics
        self.seen: list[Envelope] = []
        self._producer: AIOKafkaProducer | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Condition()

    async def __aenter__(self) -> Bus:
        self._producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap)
        await self._producer.start()
        self._consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
        await self._consumer.start()
        partitions = [TopicPartition(t, p) for t in self.topics for p in await self._partitions(t)]
        self._consumer.assign(partitions)
        await self._consumer.seek_to_beginning(*partitions)
        self._task = asyncio.create_task(self._read())
        return self

    async def _partitions(self, topic: str) -> set[int]:
        assert self._consumer is not None
        async with asyncio.timeout(10):
            while not (parts := self._consumer.partitions_for_topic(topic)):
                await self._consumer.topics()
                await asyncio.sleep(0.1)
        return set(parts)

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for client in (self._consumer, self._producer):
            if client is not None:
                await client.stop()

    async def _read(self) -> None:
        assert self._consumer is not None
        while True:
            batch = await self._consumer.getmany(timeout_ms=100)
            envelopes = []
            for records in batch.values():
                for record in records:
                    with contextlib.suppress(ValueError):
                        envelopes.append(Envelope.from_bytes(record.value or b""))
            if envelopes:
                async with self._changed:
                    self.seen.extend(envelopes)
                    self._changed.notify_all()

    async def send(self, topic: str, message: Message | Envelope, key: str | int) -> Envelope:
        """Publish a message in a fresh envelope (or an envelope as it is: a redelivery)."""
        assert self._producer is not None
        envelope = message if isinstance(message, Envelope) else new_envelope(message)
        await self._producer.send_and_wait(topic, envelope.to_bytes(), key=str(key).encode())
        return envelope

    async def wait(self, match: Callable[[Envelope], bool], timeout: float = 30) -> Envelope:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: any(match(e) for e in self.seen))
        return next(e for e in self.seen if match(e))

    async def answer(self, command: Envelope, timeout: float = 30) -> Envelope:
        """The first event caused by `command` (same correlation id, the command as cause)."""
        return await self.wait(
            lambda e: (
                e.correlation_id == command.correlation_id and e.causation_id == str(command.message_id)
            ),
            timeout,
        )

    def caused_by(self, command: Envelope) -> list[Envelope]:
        return [e for e in self.seen if e.causation_id == str(command.message_id)]


async def eventually(query: Callable[[], Awaitable[Any]], expected: Any, timeout: float = 30) -> None:
    """Poll `query` until it returns `expected`."""
    deadline = time.monotonic() + timeout
    while (value := await query()) != expected:
        if time.monotonic() > deadline:
            raise AssertionError(f"still {value!r}, expected {expected!r}")
        await asyncio.sleep(0.05)


@dataclass(frozen=True)
class Seen:
    topic: str
    key: str
    envelope: Envelope


@dataclass
class TopicLog:
    """Every envelope that appears on `topics`, with where it appeared."""

    bootstrap: str
    topics: list[str]
    seen: list[Seen] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        consumer = AIOKafkaConsumer(
            *self.topics,
            bootstrap_servers=self.bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            group_id=f"test-log-{uuid.uuid4().hex[:8]}",
        )
        await consumer.start()

        async def run() -> None:
            try:
                while True:
                    for records in (await consumer.getmany(timeout_ms=100)).values():
                        self.seen += [
                            Seen(r.topic, (r.key or b"").decode(), Envelope.from_bytes(r.value or b""))
                            for r in records
                        ]
            finally:
                await consumer.stop()

        self._task = asyncio.create_task(run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def matching(self, predicate: Callable[[Seen], bool]) -> list[Seen]:
        return [s for s in self.seen if predicate(s)]

    async def wait_for(
        self, predicate: Callable[[Seen], bool], n: int = 1, timeout: float = 20
    ) -> list[Seen]:
        deadline = time.monotonic() + timeout
        while len(found := self.matching(predicate)) < n:
            assert time.monotonic() < deadline, f"{len(found)} of {n} messages on the topics in time"
            await asyncio.sleep(0.02)
        return found


async def wait_until(check: Callable[[], Awaitable[Any]], timeout: float = 20) -> Any:
    """Poll `check` until it returns something truthy; that is returned."""
    deadline = time.monotonic() + timeout
    while not (result := await check()):
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)
    return result
