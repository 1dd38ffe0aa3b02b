"""The loop that empties the outbound queue at Telegram's pace. Any number of gateway replicas run
it at once: claims skip rows another holds, the per-chat clock lets one of them have a chat at a
time, and the per-bot clock (outbound_pace) is shared, so together they keep the limit."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramRetryAfter,
)
from prometheus_client import Counter

from telegram_gateway.outbound import queue
from telegram_gateway.outbound.queue import Claimed
from telegram_gateway.outbound.window import SendWindow

log = logging.getLogger(__name__)

OUTBOUND = Counter(
    "meterbot_outbound_messages_total",
    "Unasked messages by outcome: sent, retry (429 or a transient error), given_up (blocked, gone)",
    ["service", "outcome"],
)
MAX_ATTEMPTS = 12
MAX_BACKOFF = 300.0
STOP_WAIT = 5.0  # seconds a stop waits for the sends in flight


class OutboundSender:
    def __init__(
        self,
        pool: asyncpg.Pool,
        bot: Bot,
        *,
        rate: float,
        chat_gap: float = 1.0,
        lease: float = 30.0,
        idle: float = 0.2,
        flush_every: float = 0.02,
        max_in_flight: int = 32,
        service: str = "telegram-gateway",
    ) -> None:
        self._pool, self._bot, self._service = pool, bot, service
        self.interval = 1.0 / rate
        self.batch = max(1, min(500, int(rate / 2)))  # about half a second of sending per claim
        self._chat_gap, self._lease, self._idle, self._flush_every = chat_gap, lease, idle, flush_every
        self._sent: list[tuple[int, int]] = []
        self._held_until = 0.0  # loop time before which 429 said not to send
        # the slots of the shared clock space the sends out; the window keeps the limit on Telegram's clock
        self.window = SendWindow(int(rate), max_in_flight)
        self._ready: asyncio.Queue[tuple[float, float, Claimed]] = asyncio.Queue()  # (slot, lease end, msg)

    async def run(self) -> None:
        flusher = asyncio.create_task(self._flush_loop())
        in_flight: set[asyncio.Task[None]] = set()
        dispatcher = asyncio.create_task(self._dispatch(in_flight))
        try:
            while True:
                try:
                    ahead = await self._claim_and_schedule()
                except Exception:
                    log.exception("outbound claim failed")
                    ahead = self._idle
                await asyncio.sleep(ahead)
        finally:
            dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await dispatcher
            if in_flight:  # sends in flight may finish (and be marked): no duplicates after a clean stop
                _, late = await asyncio.wait(in_flight, timeout=STOP_WAIT)
                for task in late:
                    task.cancel()
                await asyncio.gather(*late, return_exceptions=True)
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
            with contextlib.suppress(Exception):
                await self._flush()  # what was sent is marked, so a restart does not send it again

    async def _claim_and_schedule(self) -> float:
        """Claim a batch, take its slots on the shared clock, hand it to the dispatcher; returns how
        long to wait before claiming again (a bit before this batch's last slot: no gap)."""
        loop = asyncio.get_running_loop()
        if (hold := self._held_until - loop.time()) > 0:
            return hold
        if (waiting := self._ready.qsize()) >= self.batch:  # sending is slower than the slots: no more
            return max(self._idle, (waiting - self.batch / 2) * self.interval)
        batch = await queue.claim(self._pool, self.batch, self._lease)
        if not batch:
            return self._idle
        delay = await queue.reserve_pace(self._pool, len(batch), self.interval)
        lease = self._lease
        if (until_last := delay + len(batch) * self.interval) > self._lease / 2:  # the clock is far ahead
            lease = until_last + self._lease
            await queue.extend_lease(self._pool, [m.id for m in batch], lease)
        start, lease_end = loop.time() + delay, loop.time() + lease * 0.8
        for i, message in enumerate(batch):
            self._ready.put_nowait((start + i * self.interval, lease_end, message))
        # claim the next batch while half of this one is still to go: a slow claim leaves no gap
        return max(0.0, delay + len(batch) * self.interval / 2 - 0.1)

    async def _dispatch(self, in_flight: set[asyncio.Task[None]]) -> None:
        """Start each message's send at its slot, once the window lets a request start."""
        loop = asyncio.get_running_loop()
        while True:
            at, lease_end, message = await self._ready.get()
            await asyncio.sleep(max(0.0, at - loop.time()))
            await self.window.acquire()
            hold = self._held_until - loop.time()  # a 429 came in meanwhile
            if hold > 0 or loop.time() > lease_end:  # or its lease is running out: another may take it
                self.window.release()
                await queue.give_back(self._pool, message, max(hold, 0.0))
                continue
            task = asyncio.create_task(self._send(message))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)

    async def _send(self, message: Claimed) -> None:
        try:
            await self._bot.send_message(message.chat_id, message.text, reply_markup=message.keyboard)
        except Exception as exc:
            self.window.release()
            await self._failed(message, exc)
        else:
            self.window.release()
            OUTBOUND.labels(self._service, "sent").inc()
            self._sent.append((message.id, message.chat_id))

    async def _failed(self, message: Claimed, exc: Exception) -> None:
        if isinstance(exc, TelegramRetryAfter):
            await self._retry_after(message, float(exc.retry_after))
        elif isinstance(exc, TelegramForbiddenError | TelegramNotFound | TelegramBadRequest):
            OUTBOUND.labels(self._service, "given_up").inc()
            log.info("outbound message given up: %s", type(exc).__name__)
            await queue.give_up(self._pool, message, str(exc)[:500])
        else:  # network, 5xx: it may have arrived; sent again later (at least once)
            OUTBOUND.labels(self._service, "retry").inc()
            if message.attempts >= MAX_ATTEMPTS:
                await queue.give_up(self._pool, message, f"after {message.attempts} attempts: {exc}"[:500])
            else:
                backoff = min(MAX_BACKOFF, 2.0**message.attempts)
                await queue.give_back(self._pool, message, backoff, str(exc)[:500])

    async def _retry_after(self, message: Claimed, seconds: float) -> None:
        OUTBOUND.labels(self._service, "retry").inc()
        loop = asyncio.get_running_loop()
        self._held_until = max(self._held_until, loop.time() + seconds)
        await queue.hold_pace(self._pool, seconds)  # the other replicas wait too
        await queue.give_back(self._pool, message, seconds, "429")

    async def _flush(self) -> None:
        sent, self._sent = self._sent, []
        try:
            await queue.mark_sent(self._pool, sent, self._chat_gap)
        except BaseException:
            self._sent = sent + self._sent  # marked on the next flush (the lease keeps others off)
            raise

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(self._flush_every)
            try:
                await self._flush()
            except Exception:
                log.exception("marking outbound messages sent failed")
