"""The loop the outbox relay and the projections share: do a step, then sleep until an append's
NOTIFY (or the poll interval, a fallback) wakes us; a failing step is logged and tried again."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import asyncpg

from meterbot_platform.eventstore import NOTIFY_CHANNEL

log = logging.getLogger(__name__)


async def run_on_append(
    pool: asyncpg.Pool, step: Callable[[], Awaitable[object]], *, interval: float, what: str
) -> None:
    """Run `step` after every committed append until cancelled."""
    wake = asyncio.Event()
    conn: asyncpg.Connection = await pool.acquire()

    def on_notify(*_: object) -> None:
        wake.set()

    await conn.add_listener(NOTIFY_CHANNEL, on_notify)
    try:
        while True:
            wake.clear()
            try:
                await step()
            except Exception as exc:
                log.warning("%s failed, retrying: %s", what, exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), interval)
    finally:
        with contextlib.suppress(Exception):
            await conn.remove_listener(NOTIFY_CHANNEL, on_notify)
            await pool.release(conn)
