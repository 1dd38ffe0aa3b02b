"""Update middleware: count updates, skip what cannot be handled, stop floods (messages and button
presses alike), build the Turn (locale texts, timing) and record the reply latency of updates
answered right away (those that sent a command are timed when their event comes). Private chats
only: a group is told once how to use the bot, the admin chat is left to the admin router."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable, Collection
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject, Update, User
from aiogram.types.update import UpdateTypeLookupError

from telegram_gateway.bot.context import Turn
from telegram_gateway.bot.ratelimit import RateLimiter, Verdict
from telegram_gateway.commands import Sent
from telegram_gateway.i18n import Catalogue
from telegram_gateway.metrics import REPLY_LATENCY, TELEGRAM_UPDATES, TELEGRAM_UPDATES_SKIPPED
from telegram_gateway.storage.chat_notes import ChatNotes

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
# What a chat can send as fast as it likes: text and button presses (forged ones too).
_LIMITED = frozenset({"message", "edited_message", "callback_query"})


class GatewayMiddleware(BaseMiddleware):
    """Outer middleware on dp.update (after aiogram's user-context middleware)."""

    def __init__(
        self, catalogue: Catalogue, limiter: RateLimiter, service: str, exempt_chats: Collection[int] = ()
    ) -> None:
        self._catalogue, self._limiter, self._service = catalogue, limiter, service
        self._exempt = frozenset(exempt_chats)

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        kind = _kind(event)
        TELEGRAM_UPDATES.labels(self._service, kind).inc()
        if kind == "unknown":  # the placeholder of an update that did not parse (bot/session.py)
            return None
        user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        turn = Turn(
            chat_id=chat.id if chat else (user.id if user else 0),
            user=user,
            t=self._catalogue.texts(user.language_code if user else None),
        )
        # Private chats only: other chats get at most one answer anyway (PrivateChatsOnly).
        limited = chat is not None and chat.type == "private" and chat.id not in self._exempt
        if chat is not None and limited and kind in _LIMITED:
            verdict = self._limiter.hit(chat.id, self._limiter.clock())
            if verdict is Verdict.DROP:
                TELEGRAM_UPDATES_SKIPPED.labels(self._service, "flood").inc()
                return None
            if verdict is Verdict.WARN:
                bot: Bot = data["bot"]
                with contextlib.suppress(TelegramAPIError):  # nothing more to do for a flood
                    await bot.send_message(chat.id, turn.t("common.too_often"))
                return None
        data["turn"] = turn
        result = await handler(event, data)
        if not isinstance(result, Sent):  # a sent command's reply is timed when its event comes
            REPLY_LATENCY.labels(self._service).observe(time.perf_counter() - turn.started)
        return result


def _kind(event: TelegramObject) -> str:
    if not isinstance(event, Update):
        return type(event).__name__
    try:
        return event.event_type
    except UpdateTypeLookupError:
        return "unknown"


class PrivateChatsOnly(BaseMiddleware):
    """Outer middleware on dp.update, inside GatewayMiddleware. A group saw every member's account
    number and address once the group linked one: now a group (or channel) gets one answer, the
    first time, saying to write to the bot privately; the admin chat passes (admin work only)."""

    def __init__(self, notes: ChatNotes, admin_chat_id: int | None, service: str) -> None:
        self._notes, self._admin_chat_id, self._service = notes, admin_chat_id, service

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        chat: Chat | None = data.get("event_chat")
        if chat is None or chat.type == "private" or chat.id == self._admin_chat_id:
            return await handler(event, data)
        TELEGRAM_UPDATES_SKIPPED.labels(self._service, "group").inc()
        inner = event.event if isinstance(event, Update) else event
        if isinstance(inner, CallbackQuery):
            with contextlib.suppress(TelegramAPIError):
                await inner.answer()
            return None
        groups = ("group", "supergroup")
        if (
            isinstance(inner, Message)
            and chat.type in groups
            and await self._notes.first_group_notice(chat.id)
        ):
            turn: Turn = data["turn"]
            bot: Bot = data["bot"]
            with contextlib.suppress(TelegramAPIError):  # e.g. the bot was removed meanwhile
                await bot.send_message(chat.id, turn.t("common.private_only"))
        return None


class MenuEscape(BaseMiddleware):
    """A menu button leaves any input (seed: "cancel by pressing another command"): its text clears
    the FSM state before routing, so no state handler takes «Выбрать ЛС» for a surname or a value,
    whichever feature router comes first."""

    def __init__(self, labels: Collection[str]) -> None:
        self._labels = frozenset(labels)

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if isinstance(event, Message) and event.text in self._labels and data.get("raw_state") is not None:
            state: FSMContext = data["state"]
            await state.clear()
            data["raw_state"] = None  # StateFilter reads this, computed before we ran
        return await handler(event, data)
