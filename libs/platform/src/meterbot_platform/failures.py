"""Telling an outage from a bad message, waiting outages out, and whether consumers make progress.

A transient failure (the database or the broker unreachable, a connection lost, a pool that cannot
hand out a connection, a serialization failure or deadlock) says nothing about the message: the
consumer pauses and retries it with capped backoff for as long as the outage lasts. Only a message
that fails on a healthy system may be parked (issue 17 item 3)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import asyncpg
from aiokafka import errors as kafka_errors

log = logging.getLogger(__name__)
T = TypeVar("T")

# SQLSTATE classes/codes that mean "try again later", not "this message is bad": connection
# exceptions, insufficient resources (too many connections), operator intervention (shutdown,
# cannot connect now), serialization failure, deadlock.
_TRANSIENT_SQLSTATE_PREFIXES = ("08", "53", "57P", "40001", "40P01")


def is_transient(exc: BaseException) -> bool:
    """True when `exc` (or what caused it) is an outage rather than a fault of the message."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _transient_itself(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _transient_itself(exc: BaseException) -> bool:
    if isinstance(exc, OSError | asyncio.TimeoutError | TimeoutError):
        return True  # connection refused/reset, a timeout talking to a server
    if isinstance(exc, asyncpg.InterfaceError | asyncpg.InternalClientError):
        return "connection" in str(exc).lower() or isinstance(exc, asyncpg.ConnectionDoesNotExistError)
    sqlstate = getattr(exc, "sqlstate", None)
    if isinstance(exc, asyncpg.PostgresError) and isinstance(sqlstate, str):
        return sqlstate.startswith(_TRANSIENT_SQLSTATE_PREFIXES)
    if isinstance(exc, kafka_errors.KafkaError):
        return bool(getattr(exc, "retriable", False)) or isinstance(
            exc, kafka_errors.KafkaConnectionError | kafka_errors.KafkaTimeoutError
        )
    return False


@dataclass
class ConsumerProgress:
    """What /readyz asks of one consumer: not paused by an outage, not stuck in one poll."""

    name: str
    busy_since: float | None = None  # monotonic time the poll in hand was taken
    paused_by: str | None = None  # the outage it waits out, if any
    # monotonic time its loop last asked the broker for records (every poll wait, idle or not):
    # a loop that died silently stops asking
    fetched_at: float | None = None

    def fetched(self) -> None:
        self.fetched_at = time.monotonic()

    def healthy(self, stall_after: float) -> bool:
        if self.paused_by is not None:
            return False
        now = time.monotonic()
        if self.busy_since is not None:
            return now - self.busy_since < stall_after
        return self.fetched_at is None or now - self.fetched_at < stall_after


@dataclass
class ConsumerHealth:
    """Every consumer of a process; /readyz is ready only while all make progress."""

    stall_after: float = 60.0  # one poll in hand for longer than this: the consumer is wedged
    consumers: list[ConsumerProgress] = field(default_factory=list)

    def register(self, name: str) -> ConsumerProgress:
        progress = ConsumerProgress(name)
        self.consumers.append(progress)
        return progress

    def stalled(self) -> list[str]:
        return [c.name for c in self.consumers if not c.healthy(self.stall_after)]

    async def ready(self) -> bool:
        return not self.stalled()


async def through_outages(
    action: Callable[[], Awaitable[T]],
    *,
    what: str,
    progress: ConsumerProgress | None = None,
    first_delay: float = 0.1,
    max_delay: float = 5.0,
) -> T:
    """Run `action`; while it fails transiently, wait (doubling up to `max_delay`) and run it again,
    for as long as the outage lasts. Any other failure is raised at once."""
    delay = first_delay
    while True:
        try:
            result = await action()
        except Exception as exc:
            if not is_transient(exc):
                raise
            if progress is not None:
                progress.paused_by = f"{type(exc).__name__}: {exc}"[:200]
            log.warning("%s: %s is unavailable (%s); retrying in %.1f s", what, _side(exc), exc, delay)
            await asyncio.sleep(delay)
            delay = min(max_delay, delay * 2)
            continue
        if progress is not None:
            progress.paused_by = None
        return result


def _side(exc: BaseException) -> str:
    return "the broker" if isinstance(exc, kafka_errors.KafkaError) else "a dependency"
