"""Update middleware: count updates, stop floods, build the Turn (locale texts, timing) and record
the reply latency of updates answered right away (deferred ones are timed when their event comes)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable, Collection
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.types import Chat, Message, TelegramObject, Update, User

from telegram_gateway.bot.context import Turn
from telegram_gateway.bot.ratelimit import RateLimiter, Verdict
from telegram_gateway.i18n import Catalogue
from telegram_gateway.metrics import REPLY_LATENCY, TELEGRAM_UPDATES

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
_LIMITED = frozenset({"message", "edited_message"})


class GatewayMiddleware(BaseMiddleware):
    """Outer middleware on dp.update (after aiogram's user-context middleware)."""

    def __init__(
        self, catalogue: Catalogue, limiter: RateLimiter, service: str, exempt_chats: Collection[int] = ()
    ) -> None:
        self._catalogue, self._limiter, self._service = catalogue, limiter, service
        self._exempt = frozenset(exempt_chats)

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        kind = event.event_type if isinstance(event, Update) else type(event).__name__
        TELEGRAM_UPDATES.labels(self._service, kind).inc()
        user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        turn = Turn(
            chat_id=chat.id if chat else (user.id if user else 0),
            user=user,
            t=self._catalogue.texts(user.language_code if user else None),
        )
        # Messages only: button presses are bounded by what the bot offered, typing is not.
        if chat is not None and kind in _LIMITED and chat.id not in self._exempt:
            verdict = self._limiter.hit(chat.id, time.monotonic())
            if verdict is Verdict.DROP:
                return None
            if verdict is Verdict.WARN:
                bot: Bot = data["bot"]
                with contextlib.suppress(TelegramAPIError):  # nothing more to do for a flood
                    await bot.send_message(chat.id, turn.t("common.too_often"))
                return None
        data["turn"] = turn
        result = await handler(event, data)
        if not turn.deferred:
            REPLY_LATENCY.labels(self._service).observe(time.perf_counter() - turn.started)
        return result


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
