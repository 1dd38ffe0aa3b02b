"""A double of identity/accounts/readings over the real broker: it reads the commands a gateway
publishes and publishes the events a test chooses, with the command's correlation id. Rules answer
commands automatically (e.g. "every PhoneShared registers"); everything else waits for the test."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from aiokafka import AIOKafkaProducer
from meterbot_contracts import Envelope, Message, MessageRegistry, new_envelope
from meterbot_contracts.all import default_registry

from meterbot_testing.bus import Seen, TopicLog

C = TypeVar("C", bound=Message)
T = TypeVar("T")
Rule = Callable[[Any], Message | Sequence[Message] | None]


@dataclass(frozen=True)
class Command:
    envelope: Envelope
    message: Message


def _key(event: Message) -> str:
    for name in ("meter_id", "account_number", "chat_id", "period"):
        if hasattr(event, name):
            return str(getattr(event, name))
    return event.TYPE


class ServiceTopics(Protocol):
    """The topics a double reads commands from and answers on (e.g. the gateway's GatewayTopics)."""

    @property
    def commands(self) -> Sequence[str]: ...
    @property
    def identity_events(self) -> str: ...
    @property
    def accounts_events(self) -> str: ...
    @property
    def readings_events(self) -> str: ...
    @property
    def billing_export_events(self) -> str: ...


class ServiceDouble:
    def __init__(
        self, bootstrap: str, topics: ServiceTopics, registry: MessageRegistry = default_registry
    ) -> None:
        self._bootstrap, self.topics, self._registry = bootstrap, topics, registry
        self.received: list[Command] = []
        self._taken: set[int] = set()
        self._changed = asyncio.Condition()
        self._rules: dict[type[Message], Rule] = {}
        self._log = TopicLog(bootstrap, list(topics.commands), on_record=self._received)
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(bootstrap_servers=self._bootstrap, acks="all")
        await self._producer.start()
        await self._log.start()

    async def stop(self) -> None:
        await self._log.stop()
        if self._producer is not None:
            await self._producer.stop()

    async def _received(self, seen: Seen) -> None:
        command = Command(seen.envelope, self._registry.parse(seen.envelope))
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
        timeout: float = 10.0,
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
            "billing": self.topics.billing_export_events,
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
        timeout: float = 10.0,
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
