"""A double of identity/accounts/readings over the real broker: it reads the commands the gateway
publishes and publishes the events a test chooses, with the command's correlation id. Rules answer
commands automatically (e.g. "every PhoneShared registers"); everything else waits for the test."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from meterbot_contracts import Envelope, Message, MessageRegistry, new_envelope
from meterbot_contracts.all import default_registry

from telegram_gateway.topics import GatewayTopics

C = TypeVar("C", bound=Message)
T = TypeVar("T")
Rule = Callable[[Any], Message | Sequence[Message] | None]


@dataclass(frozen=True)
class Command:
    envelope: Envelope
    message: Message


def _key(event: Message) -> str:
    for name in ("meter_id", "account_number", "chat_id"):
        if hasattr(event, name):
            return str(getattr(event, name))
    return event.TYPE


class ServiceDouble:
    def __init__(
        self, bootstrap: str, topics: GatewayTopics, registry: MessageRegistry = default_registry
    ) -> None:
        self._bootstrap, self.topics, self._registry = bootstrap, topics, registry
        self.received: list[Command] = []
        self._taken: set[int] = set()
        self._changed = asyncio.Condition()
        self._rules: dict[type[Message], Rule] = {}
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        # Manual assignment, no group: reading starts at once (a group join takes seconds).
        # A short fetch wait: brokers without fetch wake-up (tansu) would otherwise add ~200 ms a hop.
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap, enable_auto_commit=False, fetch_max_wait_ms=10
        )
        await self._consumer.start()
        partitions = []
        for topic in self.topics.commands:
            parts = self._consumer.partitions_for_topic(topic) or await self._partitions(topic)
            partitions += [TopicPartition(topic, p) for p in parts]
        self._consumer.assign(partitions)
        await self._consumer.seek_to_beginning(*partitions)
        self._producer = AIOKafkaProducer(bootstrap_servers=self._bootstrap, acks="all")
        await self._producer.start()
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
        for client in (self._consumer, self._producer):
            if client is not None:
                await client.stop()

    async def _read(self) -> None:
        assert self._consumer is not None
        while True:
            batch = await self._consumer.getmany(timeout_ms=100)
            for records in batch.values():
                for record in records:
                    envelope = Envelope.from_bytes(record.value)
                    command = Command(envelope, self._registry.parse(envelope))
                    async with self._changed:
                        self.received.append(command)
                        self._changed.notify_all()
                    await self._apply_rule(command)

    def on(self, command_type: type[C], rule: Callable[[C], Message | Sequence[Message] | None]) -> None:
        """Answer every `command_type` with rule(command) (None: leave it to the test)."""
        self._rules[command_type] = rule

    def off(self, command_type: type[Message]) -> None:
        self._rules.pop(command_type, None)

    async def _apply_rule(self, command: Command) -> None:
        rule = self._rules.get(type(command.message))
        answer = rule(command.message) if rule else None
        if answer is None:
            return
        self._taken.add(id(command))
        for event in [answer] if isinstance(answer, Message) else answer:
            await self.answer(command, event)

    async def expect(
        self,
        command_type: type[C],
        *,
        chat_id: int | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> tuple[Envelope, C]:
        """The next not-yet-taken command of this type (for this chat)."""

        def find() -> Command | None:
            for command in self.received:
                message = command.message
                if (
                    id(command) not in self._taken
                    and isinstance(message, command_type)
                    and (chat_id is None or getattr(message, "chat_id", None) == chat_id)
                ):
                    return command
            return None

        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: find() is not None)
            found = find()
            assert found is not None
            self._taken.add(id(found))
        assert isinstance(found.message, command_type)
        return found.envelope, found.message

    def commands(self, command_type: type[C], *, chat_id: int | None = None) -> list[C]:
        """Every command of this type received so far (answered or not), oldest first."""
        return [
            c.message
            for c in self.received
            if isinstance(c.message, command_type)
            and (chat_id is None or getattr(c.message, "chat_id", None) == chat_id)
        ]

    def events_topic(self, event: Message) -> str:
        module = type(event).__module__.rsplit(".", 1)[-1]
        return {
            "identity": self.topics.identity_events,
            "accounts": self.topics.accounts_events,
            "readings": self.topics.readings_events,
        }[module]

    async def publish(self, event: Message, *, correlation_id: str | None = None) -> Envelope:
        envelope = new_envelope(event, correlation_id=correlation_id)
        await self.redeliver(envelope, event)
        return envelope

    async def redeliver(self, envelope: Envelope, event: Message) -> None:
        """Put an envelope on its events topic (again: a producer retry, a replay)."""
        assert self._producer is not None
        await self._producer.send_and_wait(
            self.events_topic(event), envelope.to_bytes(), key=_key(event).encode()
        )

    async def answer(self, command: Command | Envelope, event: Message) -> Envelope:
        """Publish `event` as caused by `command` (same correlation id)."""
        envelope = command.envelope if isinstance(command, Command) else command
        return await self.publish(event, correlation_id=envelope.correlation_id)

    async def serve(
        self,
        action: Awaitable[T],
        command_type: type[C],
        respond: Callable[[C], Message | Sequence[Message] | None],
        *,
        chat_id: int,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> T:
        """Run a resident's `action` while answering the one `command_type` it causes with
        respond(command); the action's result (typically the bot's reply)."""
        task = asyncio.ensure_future(action)
        expected = asyncio.ensure_future(self.expect(command_type, chat_id=chat_id, timeout=timeout))
        try:
            await asyncio.wait([task, expected], return_when=asyncio.FIRST_COMPLETED)
            if not expected.done():  # the action ended (or failed) without sending the command
                task.result()
                raise AssertionError(f"the action sent no {command_type.__name__}")
            envelope, command = expected.result()
            answer = respond(command)
            for event in [] if answer is None else [answer] if isinstance(answer, Message) else answer:
                await self.answer(envelope, event)
            return await task
        finally:
            task.cancel()
            expected.cancel()
