"""Sending a resident's request as a command: remember it as pending first (so its answer can
never arrive before we know to expect it), then publish to the command topic."""

from __future__ import annotations

import logging
from typing import Any
from uuid import uuid4

from faststream.kafka import KafkaBroker
from meterbot_contracts import Message, new_envelope
from meterbot_contracts.accounts import AccountLinkRequested, AccountUnlinkRequested
from meterbot_contracts.identity import PhoneShared
from meterbot_contracts.readings import ReadingSubmitted, ReadingWithdrawalRequested
from meterbot_platform.broker import publish_envelope

from telegram_gateway.bot.context import Turn
from telegram_gateway.storage.pending import Kind, Pending, PendingStore
from telegram_gateway.topics import GatewayTopics

log = logging.getLogger(__name__)


def route(topics: GatewayTopics, command: Message) -> tuple[str, str]:
    """(topic, key) for a command, keyed as DESIGN §3 says."""
    match command:
        case PhoneShared():
            return topics.identity_commands, str(command.chat_id)
        case AccountLinkRequested() | AccountUnlinkRequested():
            return topics.accounts_commands, command.account_number
        case ReadingSubmitted() | ReadingWithdrawalRequested():
            return topics.readings_commands, command.meter_id
    raise TypeError(f"the gateway does not send {type(command).__name__}")


class CommandBus:
    def __init__(self, broker: KafkaBroker, topics: GatewayTopics, pending: PendingStore) -> None:
        self._broker, self._topics, self._pending = broker, topics, pending

    async def send(
        self, turn: Turn, kind: Kind, command: Message, data: dict[str, Any] | None = None
    ) -> bool:
        """Publish `command` for this turn; the reply comes with the answering event. False if it
        could not be published (the resident is told to try again)."""
        topic, key = route(self._topics, command)
        correlation_id = str(uuid4())
        await self._pending.add(
            Pending(correlation_id, turn.chat_id, kind, turn.t.locale, turn.received_at, data or {})
        )
        try:
            await publish_envelope(
                self._broker, topic, new_envelope(command, correlation_id=correlation_id), key
            )
        except Exception:
            log.exception("could not publish %s", type(command).__name__)
            await self._pending.discard(correlation_id)
            return False
        turn.deferred = True
        return True
