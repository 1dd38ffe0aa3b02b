"""The loop the outbox relay and the projections share: do a step, then sleep until an append's
NOTIFY (or a fallback timer) wakes us; a failing step is logged and tried again.

The fallback is short (`interval`) only while something may be waiting that no NOTIFY announces:
the database could not be listened to, the step failed, or the last read stopped at a transaction
still running (`held_back`: committed events past the cursor that the commit-order horizon keeps
back; the transaction holding them may end without events and so without a NOTIFY). Otherwise every
append wakes us, and the fallback (`idle_interval`) is only a safety net: an idle stack then does
not poll each view and relay every second (measured: most of an idle service's CPU)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import asyncpg

from meterbot_platform.eventstore import NOTIFY_CHANNEL

log = logging.getLogger(__name__)

# A read held back by a running transaction is tried again after this, doubling up to `interval`:
# quick for the usual short transaction, cheap for a long one.
HELD_BACK_RETRY = 0.02


async def run_on_append(
    pool: asyncpg.Pool,
    step: Callable[[], Awaitable[object]],
    *,
    interval: float,
    what: str,
    held_back: Callable[[], Awaitable[bool]] | None = None,
    idle_interval: float | None = None,
) -> None:
    """Run `step` after every committed append until cancelled. Without `held_back`, every wait
    falls back to `interval` (the step may have left something behind)."""
    wake = asyncio.Event()
    conn: asyncpg.Connection | None = None
    idle_wait = interval if held_back is None else max(interval, idle_interval or interval)
    retry = HELD_BACK_RETRY

    def on_notify(*_: object) -> None:
        wake.set()

    try:
        while True:
            if not _listening(conn):
                # (again) after the server restarted: a closed connection hears no NOTIFY
                conn = await _listen(pool, conn, on_notify, what)
            wake.clear()
            wait = interval
            try:
                await step()
                if conn is not None and held_back is not None:
                    if await held_back():
                        wait, retry = min(retry, interval), min(retry * 2, interval)
                    else:
                        wait, retry = idle_wait, HELD_BACK_RETRY
            except Exception as exc:
                log.warning("%s failed, retrying: %s", what, exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), wait)
    finally:
        if conn is not None:
            await _unlisten(pool, conn, on_notify)


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
        await _unlisten(pool, old, on_notify)
    conn: asyncpg.Connection | None = None
    try:
        conn = await pool.acquire()
        await conn.add_listener(NOTIFY_CHANNEL, on_notify)
        # a dropped connection wakes the loop, which listens again at once instead of sleeping
        # through the long fallback deaf
        conn.add_termination_listener(on_notify)
        return conn
    except Exception as exc:  # the database is down: poll until it is back
        log.warning("%s: cannot listen for appends yet (%s)", what, exc)
        if conn is not None:
            with contextlib.suppress(Exception):
                await pool.release(conn)
        return None


async def _unlisten(pool: asyncpg.Pool, conn: asyncpg.Connection, on_notify: Callable[..., None]) -> None:
    """Give the connection back as we took it: the pool's reset drops NOTIFY listeners but not
    termination listeners."""
    with contextlib.suppress(Exception):
        conn.remove_termination_listener(on_notify)
    with contextlib.suppress(Exception):
        await conn.remove_listener(NOTIFY_CHANNEL, on_notify)
    with contextlib.suppress(Exception):
        await pool.release(conn)
