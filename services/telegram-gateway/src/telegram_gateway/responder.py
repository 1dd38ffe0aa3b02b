"""The event side: each event from identity/accounts/readings updates the read model and, if it
answers a pending request (same correlation id), the resident gets the reply -- all effects in one
transaction with the inbox claim; the reply is sent after commit (a redelivery never answers twice)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg
from meterbot_contracts import Envelope, Message
from meterbot_contracts.accounts import AccountLinked, AccountLinkRefused, AccountUnlinked
from meterbot_contracts.identity import (
    ResidentContactUpdated,
    ResidentRegistered,
    ResidentRegistrationRefused,
)
from meterbot_contracts.readings import (
    ReadingAccepted,
    ReadingConfirmationAsked,
    ReadingPhotoAttached,
    ReadingPhotoRefused,
    ReadingRejected,
    ReadingWithdrawalRefused,
    ReadingWithdrawn,
)
from meterbot_contracts.window import SubmissionWindow
from meterbot_platform import inbox

from telegram_gateway import replies
from telegram_gateway.bot.resume import InputResumer
from telegram_gateway.commands import KIND_OF_ANSWER
from telegram_gateway.i18n import Catalogue, Texts
from telegram_gateway.messenger import Messenger
from telegram_gateway.metrics import REPLY_LATENCY
from telegram_gateway.notices.status import tell_unasked
from telegram_gateway.photo_replies import photo_reply
from telegram_gateway.readmodel import ReadModel
from telegram_gateway.readmodel.info import remember_owner
from telegram_gateway.readmodel.projection import KEPT, apply_all
from telegram_gateway.storage.pending import Pending, PendingStore, ReplyContext
from telegram_gateway.storage.photos import PhotoStore

log = logging.getLogger(__name__)

INBOX_CONSUMER = "gateway-read-model"
# Events the gateway consumes: those its read model keeps and those that answer a request.
HANDLED: list[type[Message]] = sorted({*KEPT, *KIND_OF_ANSWER}, key=lambda cls: cls.TYPE)


class Responder:
    def __init__(
        self,
        pool: asyncpg.Pool,
        messenger: Messenger,
        catalogue: Catalogue,
        *,
        read_model: ReadModel,
        tz: ZoneInfo,
        service: str,
        window: SubmissionWindow | None = None,
        resumer: InputResumer | None = None,
        photos: PhotoStore | None = None,
    ) -> None:
        self._pool, self._messenger, self._catalogue = pool, messenger, catalogue
        self._read_model, self._tz, self._service = read_model, tz, service
        self._window = window or SubmissionWindow.every_day()
        self._resumer = resumer
        self._photos = photos or PhotoStore(pool)

    @property
    def handled(self) -> list[type[Message]]:
        return HANDLED

    async def handle_batch(self, items: Sequence[tuple[Envelope, Message]]) -> set[UUID]:
        """A poll's events in one transaction (a registry import brings 100k at once; a commit per
        event was what kept the bot's meters minutes behind). Returns the ids of those that were new."""
        answers: list[tuple[Pending, Message]] = []
        async with self._pool.acquire() as conn, conn.transaction():
            claimed = await inbox.claim_many(conn, INBOX_CONSUMER, [e.message_id for e, _ in items])
            new: dict[UUID, tuple[Envelope, Message]] = {}
            for envelope, message in items:
                if envelope.message_id in claimed:
                    new.setdefault(envelope.message_id, (envelope, message))  # twice in a poll: once
            await apply_all(conn, [message for _, message in new.values()])
            await tell_unasked(conn, self._catalogue, [message for _, message in new.values()])
            for envelope, message in new.values():
                kind = KIND_OF_ANSWER.get(type(message))
                pending = await PendingStore.take(conn, envelope.correlation_id, kind) if kind else None
                if pending is not None:
                    answers.append((pending, message))
                    if isinstance(message, AccountLinked) and pending.context.surname:
                        await remember_owner(conn, message.account_number, pending.context.surname)
        for pending, message in answers:
            try:
                await self._answer(pending, message)
            except Exception:  # one resident's failed send must not cost the others their replies
                log.exception("reply to a %s not delivered", type(message).__name__)
        return set(new)

    async def _answer(self, pending: Pending, message: Message) -> None:
        t = self._catalogue.texts(pending.locale)
        context = pending.context
        match message:
            case ResidentRegistered() | ResidentContactUpdated() | ResidentRegistrationRefused():
                outgoing = replies.registration_reply(t, message)
            case AccountLinked() | AccountLinkRefused():
                outgoing = replies.link_reply(t, message, context.surname, self._tz)
            case AccountUnlinked():
                outgoing = replies.unlink_reply(t, message)
            case ReadingAccepted() | ReadingRejected():
                meters = await self._read_model.meters(pending.chat_id, message.account_number)
                outgoing = replies.reading_reply(t, message, context.label, meters, self._window)
                if replies.retries(message) and self._resumer is not None and not pending.timed_out:
                    await self._resumer.reading(pending.chat_id, context)
            case ReadingConfirmationAsked():
                outgoing = replies.confirmation_reply(t, message, context.label)
                if self._resumer is not None and not pending.timed_out:
                    await self._resumer.confirmation(pending.chat_id, context, message)
            case ReadingWithdrawn() | ReadingWithdrawalRefused():
                outgoing = replies.withdrawal_reply(t, message, context.label)
            case ReadingPhotoAttached() | ReadingPhotoRefused():
                outgoing = await self._photo_answer(t, message, context)
            case _:
                return
        for reply in outgoing:
            await self._messenger.send(pending.chat_id, reply.text, reply.markup)
        latency = (datetime.now(UTC) - pending.started_at).total_seconds()
        REPLY_LATENCY.labels(self._service).observe(max(latency, 0.0))
        if pending.timed_out:
            log.info("late answer delivered after %.1fs (%s)", latency, type(message).__name__)

    async def _photo_answer(
        self, t: Texts, event: ReadingPhotoAttached | ReadingPhotoRefused, context: ReplyContext
    ) -> list[replies.Outgoing]:
        """Issue 14 item 6: attached, or refused (then the bytes go unless a reading uses them)."""
        if isinstance(event, ReadingPhotoRefused) and context.photo_sha256:
            await self._photos.forget_unused(context.photo_sha256)
        return [replies.Outgoing(photo_reply(t, event, context.label, self._photos.max_bytes))]
