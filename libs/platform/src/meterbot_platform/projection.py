"""Projections: a view updated from the service's own events, with its checkpoint saved in the
same transaction as the update, and rebuildable from zero (DESIGN §2)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from typing import Protocol

import asyncpg
from meterbot_contracts import Message
from meterbot_contracts.all import default_registry

from meterbot_platform import checkpoints, lag
from meterbot_platform.eventstore import EventStore, RecordedEvent
from meterbot_platform.lag import IDLE_POLL_INTERVAL, LAG_INTERVAL
from meterbot_platform.metrics import EVENTS_HORIZON_HELD, PROJECTION_LAG
from meterbot_platform.notify import run_on_append

log = logging.getLogger(__name__)


class Projection(Protocol):
    name: str

    async def apply(self, conn: asyncpg.Connection, event: RecordedEvent) -> None:
        """Update the view for one event (ignore types it does not care about)."""

    async def clear(self, conn: asyncpg.Connection) -> None:
        """Empty the view, before a rebuild."""


def message_of(event: RecordedEvent, types: Collection[str]) -> Message | None:
    """The event as its contract message when its type is one of `types` (those a projection keeps);
    None for the others, which are not parsed at all."""
    if event.type not in types:
        return None
    return default_registry.parse_data(event.type, event.version, event.data)


class ProjectionRunner:
    def __init__(
        self,
        pool: asyncpg.Pool,
        projection: Projection,
        *,
        service: str,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        idle_poll_interval: float = IDLE_POLL_INTERVAL,
        lag_interval: float = LAG_INTERVAL,
    ) -> None:
        self._pool, self._projection, self._service = pool, projection, service
        self._batch_size, self._poll_interval, self._lag_interval = batch_size, poll_interval, lag_interval
        self._idle_poll_interval = idle_poll_interval
        self._checkpoint = f"projection:{projection.name}"
        self._store = EventStore()

    async def catch_up(self) -> int:
        """Apply every committed event not yet applied; return how many."""
        total = 0
        while True:
            async with self._pool.acquire() as conn, conn.transaction():
                cursor = await checkpoints.load(conn, self._checkpoint, lock=True)
                batch = await self._store.read_committed(conn, cursor, self._batch_size)
                if not batch:
                    return total
                for event in batch:
                    await self._projection.apply(conn, event)
                await checkpoints.save(conn, self._checkpoint, batch[-1].cursor)
            total += len(batch)

    async def rebuild(self) -> int:
        """Clear the view and replay every event from the beginning."""
        async with self._pool.acquire() as conn, conn.transaction():
            await checkpoints.load(conn, self._checkpoint, lock=True)
            await self._projection.clear(conn)
            await checkpoints.reset(conn, self._checkpoint)
        return await self.catch_up()

    async def observe_lag(self, conn: asyncpg.Connection) -> None:
        """Set the lag gauge from the database (on a timer, whether applying works or not)."""
        pending, _ = await lag.behind(conn, self._checkpoint)
        PROJECTION_LAG.labels(self._service, self._projection.name).set(pending)
        EVENTS_HORIZON_HELD.labels(self._service).set(await lag.horizon_held(conn))

    async def run(self) -> None:
        what = f"projection {self._projection.name}"
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(
                run_on_append(
                    self._pool,
                    self.catch_up,
                    interval=self._poll_interval,
                    what=what,
                    held_back=lambda: lag.held_back(self._pool, self._checkpoint),
                    idle_interval=self._idle_poll_interval,
                )
            )
            tasks.create_task(lag.every(self._pool, self.observe_lag, interval=self._lag_interval, what=what))
