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
    conn: asyncpg.Connection | None = None

    def on_notify(*_: object) -> None:
        wake.set()

    try:
        while True:
            if not _listening(conn):
                # (again) after the server restarted: a closed connection hears no NOTIFY, and
                # the loop would fall back to polling every `interval` for good
                conn = await _listen(pool, conn, on_notify, what)
            wake.clear()
            try:
                await step()
            except Exception as exc:
                log.warning("%s failed, retrying: %s", what, exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), interval)
    finally:
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.remove_listener(NOTIFY_CHANNEL, on_notify)
            with contextlib.suppress(Exception):
                await pool.release(conn)


def _listening(conn: asyncpg.Connection | None) -> bool:
    """Still an open connection of ours: the pool detaches a connection the server dropped (its
    proxy then refuses every call, is_closed() included)."""
    if conn is None:
        return False
    try:
        return not conn.is_closed()
    except asyncpg.InterfaceError:
        return False


async def _listen(
    pool: asyncpg.Pool, old: asyncpg.Connection | None, on_notify: Callable[..., None], what: str
) -> asyncpg.Connection | None:
    if old is not None:
        with contextlib.suppress(Exception):
            await pool.release(old)
    conn: asyncpg.Connection | None = None
    try:
        conn = await pool.acquire()
        await conn.add_listener(NOTIFY_CHANNEL, on_notify)
        return conn
    except Exception as exc:  # the database is down: poll until it is back
        log.warning("%s: cannot listen for appends yet (%s)", what, exc)
        if conn is not None:
            with contextlib.suppress(Exception):
                await pool.release(conn)
        return None
