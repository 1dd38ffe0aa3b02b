"""Outbox relay: publishes the events table to `meterbot.<service>.events` in commit order.

At least once: the checkpoint moves only after Kafka acknowledged the batch; consumers dedupe by
message id. Woken by NOTIFY from append, with a polling fallback. With several replicas, the row
lock on the checkpoint keeps one relay publishing at a time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

import asyncpg

from meterbot_platform import checkpoints, lag
from meterbot_platform.eventstore import EventStore, RecordedEvent
from meterbot_platform.lag import IDLE_POLL_INTERVAL, LAG_INTERVAL
from meterbot_platform.metrics import (
    EVENTS_HORIZON_HELD,
    OUTBOX_OLDEST_AGE,
    OUTBOX_PUBLISHED,
    OUTBOX_UNPUBLISHED,
)
from meterbot_platform.notify import run_on_append

log = logging.getLogger(__name__)

# Publishes a batch in order and returns once the broker acknowledged all of it.
PublishBatch = Callable[[Sequence[RecordedEvent]], Awaitable[None]]


class OutboxRelay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        publish: PublishBatch,
        *,
        service: str,
        checkpoint: str = "outbox",
        batch_size: int = 500,
        poll_interval: float = 1.0,
        idle_poll_interval: float = IDLE_POLL_INTERVAL,
        lag_interval: float = LAG_INTERVAL,
    ) -> None:
        self._pool, self._publish, self._service = pool, publish, service
        self._checkpoint, self._batch_size, self._poll_interval = checkpoint, batch_size, poll_interval
        self._lag_interval, self._idle_poll_interval = lag_interval, idle_poll_interval
        self._store = EventStore()

    async def publish_pending(self) -> int:
        """Publish everything committed so far; return how many events went out."""
        total = 0
        while True:
            async with self._pool.acquire() as conn, conn.transaction():
                cursor = await checkpoints.load(conn, self._checkpoint, lock=True)
                batch = await self._store.read_committed(conn, cursor, self._batch_size)
                if not batch:
                    return total
                await self._publish(batch)
                await checkpoints.save(conn, self._checkpoint, batch[-1].cursor)
            OUTBOX_PUBLISHED.labels(self._service).inc(len(batch))
            total += len(batch)

    async def observe_lag(self, conn: asyncpg.Connection) -> None:
        """Set the outbox gauges from the database (on a timer, whether publishing works or not)."""
        pending, age = await lag.behind(conn, self._checkpoint)
        OUTBOX_UNPUBLISHED.labels(self._service).set(pending)
        OUTBOX_OLDEST_AGE.labels(self._service).set(age)
        EVENTS_HORIZON_HELD.labels(self._service).set(await lag.horizon_held(conn))

    async def run(self) -> None:
        """Relay until cancelled; broker or database errors are logged and retried."""
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(
                run_on_append(
                    self._pool,
                    self.publish_pending,
                    interval=self._poll_interval,
                    what="outbox relay",
                    held_back=lambda: lag.held_back(self._pool, self._checkpoint),
                    idle_interval=self._idle_poll_interval,
                )
            )
            tasks.create_task(
                lag.every(self._pool, self.observe_lag, interval=self._lag_interval, what="outbox lag")
            )
