"""The one seam every unasked message of issue 15 (news to subscribers, /broadcast) goes through.

Until the persisted paced outbound queue (telegram_gateway.outbound, branch h13notify) is merged,
PacedPusher keeps Telegram's limits itself, the simplest correct way: one sender task per batch,
at most MESSAGES_PER_SECOND over the bot (Telegram: ~30/s; one message per chat per batch, so the
per-chat limit of 1/s holds), a 429's retry_after waited out and the message sent again; a chat
that blocked the bot is skipped. Not persisted: a restart in the middle loses the rest of a batch
(the outbound queue fixes that: swap `push_many` for its enqueue_many in the caller's transaction)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter

log = logging.getLogger(__name__)
MESSAGES_PER_SECOND = 25
RETRIES = 3


@dataclass(frozen=True)
class Push:
    chat_id: int
    text: str
    dedupe_key: str  # names the fact and the chat (news:{id}:{chat}); the outbound queue dedupes by it


Done = Callable[[int, int], Awaitable[None]]  # (delivered, total), when a batch is through


class PacedPusher:
    def __init__(self, bot: Bot, rate: float = MESSAGES_PER_SECOND) -> None:
        self._bot, self._gap = bot, 1.0 / rate
        self._tasks: set[asyncio.Task[None]] = set()
        self._seen: set[str] = set()

    async def push_many(self, pushes: Sequence[Push], done: Done | None = None) -> None:
        """Start delivering; returns at once (a broadcast to thousands takes minutes)."""
        fresh = [p for p in pushes if p.dedupe_key not in self._seen]
        self._seen.update(p.dedupe_key for p in fresh)
        task = asyncio.create_task(self._deliver(fresh, done))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, pushes: Sequence[Push], done: Done | None) -> None:
        delivered = 0
        for push in pushes:
            delivered += await self._send(push)
            await asyncio.sleep(self._gap)  # the pace itself, not a wait for a condition
        if done is not None:
            try:
                await done(delivered, len(pushes))
            except TelegramAPIError:
                log.warning("the pushes' summary was not delivered")

    async def _send(self, push: Push) -> int:
        for _ in range(RETRIES):
            try:
                await self._bot.send_message(push.chat_id, push.text)
                return 1
            except TelegramRetryAfter as exc:
                await asyncio.sleep(exc.retry_after)
            except TelegramAPIError as exc:  # blocked, chat gone: skipped
                log.info("push to a chat not delivered: %s", type(exc).__name__)
                return 0
        return 0

    async def drain(self) -> None:
        """Until every batch started so far is through (tests; a clean stop)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
