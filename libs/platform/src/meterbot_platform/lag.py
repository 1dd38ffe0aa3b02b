"""Lag gauges measured from the database on their own timer, so they keep rising while the relay or
a projection fails (a broker outage, a poison event) - exactly when the alerts need them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import asyncpg

from meterbot_platform import checkpoints
from meterbot_platform.eventstore import EventStore

log = logging.getLogger(__name__)
_store = EventStore()

# The gauges' timer: the alerts on them wait a minute or more, and Prometheus scrapes every 15 s.
LAG_INTERVAL = 15.0
# How often an idle relay or projection reads anyway, though every append wakes it (notify.py).
IDLE_POLL_INTERVAL = 30.0


async def behind(conn: asyncpg.Connection, checkpoint: str) -> tuple[int, float]:
    """(committed events past the checkpoint, age in seconds of the oldest of them)."""
    return await _store.pending_after(conn, await checkpoints.load(conn, checkpoint))


async def held_back(pool: asyncpg.Pool, checkpoint: str) -> bool:
    """Committed events past the checkpoint that a read did not return: the commit-order horizon
    keeps them back while an older transaction runs (notify.run_on_append retries soon)."""
    async with pool.acquire() as conn:
        pending, _ = await behind(conn, checkpoint)
    return pending > 0


async def horizon_held(conn: asyncpg.Connection) -> float:
    return await _store.horizon_age(conn)


async def every(
    pool: asyncpg.Pool,
    measure: Callable[[asyncpg.Connection], Awaitable[None]],
    *,
    interval: float,
    what: str,
) -> None:
    """Run `measure` every `interval` seconds until cancelled; a failed measurement is logged."""
    while True:
        try:
            async with pool.acquire() as conn:
                await measure(conn)
        except Exception as exc:
            log.warning("measuring %s failed: %s", what, exc)
        await asyncio.sleep(interval)
