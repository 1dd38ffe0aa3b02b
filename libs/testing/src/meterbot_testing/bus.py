"""The real broker seen from outside, for integration and whole-stack tests. One reader, TopicLog
(every envelope of some topics with its topic and key, from the beginning), serves Bus (publish
envelopes, wait for the events a command caused) and the ServiceDouble (meterbot_testing.services)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from meterbot_contracts import Envelope, Message, new_envelope


@dataclass(frozen=True)
class Seen:
    topic: str
    key: str
    envelope: Envelope


class TopicLog:
    """Every envelope that appears on `topics` (they must exist), with where it appeared; records
    that are not envelopes are skipped. Manual assignment, no consumer group: reading starts at once
    (a group join takes seconds), and a short fetch wait, as brokers without fetch wake-up (tansu)
    would otherwise add ~200 ms a hop. `on_record` runs for each new record, in order."""

    def __init__(
        self,
        bootstrap: str,
        topics: list[str],
        on_record: Callable[[Seen], Awaitable[None]] | None = None,
    ) -> None:
        self.bootstrap, self.topics, self._on_record = bootstrap, topics, on_record
        self.seen: list[Seen] = []
        self._changed = asyncio.Condition()
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, enable_auto_commit=False, fetch_max_wait_ms=10
        )
        await self._consumer.start()
        partitions = [TopicPartition(t, p) for t in self.topics for p in await self._partitions(t)]
        self._consumer.assign(partitions)
        await self._consumer.seek_to_beginning(*partitions)
        self._task = asyncio.create_task(self._read())

    async def _partitions(self, topic: str) -> set[int]:
        assert self._consumer is not None
        async with asyncio.timeout(10):
            while not (parts := self._consumer.partitions_for_topic(topic)):
                await self._consumer.topics()  # refreshes metadata
                await asyncio.sleep(0.1)
        return set(parts)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()

    async def __aenter__(self) -> TopicLog:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _read(self) -> None:
        assert self._consumer is not None
        while True:
            for records in (await self._consumer.getmany(timeout_ms=100)).values():
                for record in records:
                    try:
                        envelope = Envelope.from_bytes(record.value or b"")
                    except ValueError:
                        continue
                    seen = Seen(record.topic, (record.key or b"").decode(), envelope)
                    async with self._changed:
                        self.seen.append(seen)
                        self._changed.notify_all()
                    if self._on_record is not None:
                        await self._on_record(seen)

    def matching(self, predicate: Callable[[Seen], bool]) -> list[Seen]:
        return [s for s in self.seen if predicate(s)]

    async def wait_for(
        self,
        predicate: Callable[[Seen], bool],
        n: int = 1,
        timeout: float = 20,
    ) -> list[Seen]:
        """The first `n` (at least) records matching `predicate`, once there are that many."""
        try:
            async with asyncio.timeout(timeout), self._changed:
                await self._changed.wait_for(lambda: len(self.matching(predicate)) >= n)
        except TimeoutError:
            found = len(self.matching(predicate))
            raise AssertionError(f"{found} of {n} messages on {self.topics} in {timeout}s") from None
        return self.matching(predicate)


class Bus:
    """Publishes envelopes and waits for the events they cause, read by a TopicLog."""

    def __init__(self, bootstrap: str, topics: list[str]) -> None:
        self.bootstrap, self.topics = bootstrap, topics
        self.log = TopicLog(bootstrap, topics)
        self._producer: AIOKafkaProducer | None = None

    @property
    def seen(self) -> list[Envelope]:
        return [s.envelope for s in self.log.seen]

    async def __aenter__(self) -> Bus:
        self._producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap)
        await self._producer.start()
        await self.log.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.log.stop()
        if self._producer is not None:
            await self._producer.stop()

    async def send(self, topic: str, message: Message | Envelope, key: str | int) -> Envelope:
        """Publish a message in a fresh envelope (or an envelope as it is: a redelivery)."""
        assert self._producer is not None
        envelope = message if isinstance(message, Envelope) else new_envelope(message)
        await self._producer.send_and_wait(topic, envelope.to_bytes(), key=str(key).encode())
        return envelope

    async def wait(self, match: Callable[[Envelope], bool], timeout: float = 30) -> Envelope:
        [first, *_] = await self.log.wait_for(lambda s: match(s.envelope), timeout=timeout)
        return first.envelope

    async def answer(self, command: Envelope, timeout: float = 30) -> Envelope:
        """The event `command` caused directly (later events of its chain share its correlation id)."""
        return await self.wait(lambda e: e.causation_id == str(command.message_id), timeout)

    def caused_by(self, command: Envelope) -> list[Envelope]:
        return [e for e in self.seen if e.causation_id == str(command.message_id)]


async def eventually(query: Callable[[], Awaitable[Any]], expected: Any, timeout: float = 30) -> Any:
    """Poll `query` (a database, an HTTP endpoint: nothing to await) until it returns `expected`."""
    deadline = time.monotonic() + timeout
    while (value := await query()) != expected:
        if time.monotonic() > deadline:
            raise AssertionError(f"still {value!r}, expected {expected!r}")
        await asyncio.sleep(0.05)
    return value


async def wait_until(check: Callable[[], Awaitable[Any]], timeout: float = 20) -> Any:
    """Poll `check` until it returns something truthy; that is returned."""
    deadline = time.monotonic() + timeout
    while not (result := await check()):
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)
    return result
