"""Sending a resident's request as a command: remember it as pending first (so its answer can
never arrive before we know to expect it), then publish to the command topic.

EXCHANGES is the one table of the request/reply seam: which command starts which kind of request
and which events answer it. The bus derives the kind from the command; the responder from the event."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from uuid import uuid4

from faststream.kafka import KafkaBroker
from meterbot_contracts import Envelope, Message, new_envelope
from meterbot_contracts.accounts import (
    AccountLinked,
    AccountLinkRefused,
    AccountLinkRequested,
    AccountUnlinked,
    AccountUnlinkRequested,
)
from meterbot_contracts.identity import (
    PhoneShared,
    ResidentContactUpdated,
    ResidentErasureRequested,
    ResidentRegistered,
    ResidentRegistrationRefused,
)
from meterbot_contracts.readings import (
    ReadingAccepted,
    ReadingAcceptedV2,
    ReadingConfirmationAsked,
    ReadingPhotoAttached,
    ReadingPhotoRefused,
    ReadingPhotoSubmitted,
    ReadingRejected,
    ReadingRejectedV2,
    ReadingSubmitted,
    ReadingWithdrawalRefused,
    ReadingWithdrawalRequested,
    ReadingWithdrawn,
)
from meterbot_platform.broker import publish_envelope

from telegram_gateway.storage.pending import Kind, Pending, PendingStore, ReplyContext
from telegram_gateway.topics import GatewayTopics

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Exchange:
    kind: Kind
    command: type[Message]
    answers: tuple[type[Message], ...]


# a reading is answered by its outcome, or by a question to the resident first (issue 14)
READING_ANSWERS = (
    ReadingAccepted,
    ReadingRejected,
    ReadingConfirmationAsked,
    ReadingAcceptedV2,
    ReadingRejectedV2,
)

EXCHANGES: tuple[Exchange, ...] = (
    Exchange(
        "register", PhoneShared, (ResidentRegistered, ResidentContactUpdated, ResidentRegistrationRefused)
    ),
    Exchange("link", AccountLinkRequested, (AccountLinked, AccountLinkRefused)),
    Exchange("unlink", AccountUnlinkRequested, (AccountUnlinked,)),
    Exchange("reading", ReadingSubmitted, READING_ANSWERS),  # and ReadingSubmittedV2, its new version
    Exchange("withdraw", ReadingWithdrawalRequested, (ReadingWithdrawn, ReadingWithdrawalRefused)),
    Exchange("photo", ReadingPhotoSubmitted, (ReadingPhotoAttached, ReadingPhotoRefused)),  # issue 14
)
KIND_OF_COMMAND: Mapping[type[Message], Kind] = {e.command: e.kind for e in EXCHANGES}
KIND_OF_ANSWER: Mapping[type[Message], Kind] = {a: e.kind for e in EXCHANGES for a in e.answers}


def kind_of_command(command: Message) -> Kind:
    """The kind of request a command starts; a new version of a command (a subclass) starts its kind."""
    return next(KIND_OF_COMMAND[cls] for cls in type(command).__mro__ if cls in KIND_OF_COMMAND)


@dataclass(frozen=True)
class Requester:
    """Who asks, as the reply needs it: the chat, its language, when the update came in."""

    chat_id: int
    locale: str
    received_at: datetime


@dataclass(frozen=True)
class Sent:
    """The command is on its topic; the reply comes with the answering event."""

    correlation_id: str


def route(topics: GatewayTopics, command: Message) -> tuple[str, str]:
    """(topic, key) for a command, keyed as DESIGN §3 says."""
    match command:
        case PhoneShared() | ResidentErasureRequested():
            return topics.identity_commands, str(command.chat_id)
        case AccountLinkRequested() | AccountUnlinkRequested():
            return topics.accounts_commands, command.account_number
        case ReadingSubmitted() | ReadingWithdrawalRequested():
            return topics.readings_commands, command.meter_id
        case ReadingPhotoSubmitted():
            return topics.readings_commands, command.meter_id
    raise TypeError(f"the gateway does not send {type(command).__name__}")


class CommandBus:
    def __init__(self, broker: KafkaBroker, topics: GatewayTopics, pending: PendingStore) -> None:
        self._broker, self._topics, self._pending = broker, topics, pending

    async def send(
        self, requester: Requester, command: Message, context: ReplyContext | None = None
    ) -> Sent | None:
        """Publish `command`; `context` is what its reply needs besides the event. None if it could
        not be published (the resident is told to try again)."""
        kind = kind_of_command(command)
        topic, key = route(self._topics, command)
        correlation_id = str(uuid4())
        envelope = new_envelope(command, correlation_id=correlation_id)
        await self._pending.add(
            Pending(
                correlation_id,
                requester.chat_id,
                kind,
                requester.locale,
                requester.received_at,
                context or ReplyContext(),
            ),
            (topic, key, envelope.to_bytes()),
        )
        try:
            await publish_envelope(self._broker, topic, envelope, key)
        except Exception:
            log.exception("could not publish %s", type(command).__name__)
            await self._pending.discard(correlation_id)
            return None
        return Sent(correlation_id)

    async def publish(self, command: Message) -> bool:
        """Publish a command no reply waits for (the resident was answered already); False if it
        could not be published."""
        topic, key = route(self._topics, command)
        try:
            envelope = new_envelope(command, correlation_id=str(uuid4()))
            await publish_envelope(self._broker, topic, envelope, key)
        except Exception:
            log.exception("could not publish %s", type(command).__name__)
            return False
        return True

    async def resend_pending(self) -> int:
        """Publish again every command still waiting for its answer, as it was (same message id:
        one its consumer already handled is a duplicate there, with no second effect or answer).
        Run at start: the local broker keeps messages in memory and may have lost them, or this
        process died between remembering a request and publishing it."""
        commands = await self._pending.unanswered_commands()
        for topic, key, body in commands:
            await publish_envelope(self._broker, topic, Envelope.from_bytes(body), key)
        return len(commands)

    async def resend_then_idle(self, retry_every: float = 2.0) -> None:
        """A background job: resend_pending() until it succeeds, then nothing (a background job
        that returns would stop the service)."""
        while True:
            try:
                sent = await self.resend_pending()
            except Exception as exc:
                log.warning("pending commands not re-sent yet (%s); retrying", exc)
                await asyncio.sleep(retry_every)
                continue
            if sent:
                log.info("re-sent %d commands still waiting for their answer", sent)
            await asyncio.Event().wait()
