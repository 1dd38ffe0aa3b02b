"""Consumers that cost next to nothing while idle and stay quick while busy.

An idle consumer still sends a fetch request every fetch-max-wait, and the local tansu broker answers
new data only some time into that wait (measured: a quarter to half of it), so a short wait is what
keeps a hop fast and what an idle stack burns its CPU on (5 consumers at 50 ms: ~40 % of a core with
the broker's share). Apache Kafka answers at once, so there a long wait costs nothing either way.

So a consumer fetches with its short wait while records come, and with the idle wait once none came
for the idle time (30 s: longer than a resident's pause between two steps): the first record after
a quiet spell waits a little longer (measured on tansu: ~50-250 ms per hop), the ones after it do not.
Its poll loop also waits for records in one getmany instead of FastStream's 10 ms poll +
10 ms sleep (100 wake-ups a second per idle consumer)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from itertools import chain
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord

log = logging.getLogger(__name__)

# How long one poll waits for records; records that arrive end it at once. Also the longest a
# stopping consumer takes to notice.
POLL_WAIT_MS = 1000


class FetchPace:
    """A consumer's fetch wait: `active_ms` while records come, `idle_ms` after `idle_after_s` without."""

    def __init__(self, active_ms: int, idle_ms: int, idle_after_s: float) -> None:
        self.active_ms, self.idle_ms, self.idle_after_s = active_ms, max(idle_ms, active_ms), idle_after_s
        self._last_records = time.monotonic()
        self.idle = False

    def wait_ms(self, got_records: bool, now: float) -> int:
        if got_records:
            self._last_records, self.idle = now, False
        elif now - self._last_records >= self.idle_after_s:
            self.idle = True
        return self.idle_ms if self.idle else self.active_ms


def _set_fetch_wait(consumer: AIOKafkaConsumer, wait_ms: int) -> None:
    # aiokafka reads the wait from its fetcher for every fetch request it builds; there is no
    # public way to change it on a running consumer. Without the attribute, the wait stays fixed.
    fetcher = getattr(consumer, "_fetcher", None)
    if fetcher is not None and hasattr(fetcher, "_fetch_max_wait_ms"):
        fetcher._fetch_max_wait_ms = wait_ms


def pace_when_idle(
    subscriber: Any,
    *,
    max_records: int,
    active_wait_ms: int,
    idle_wait_ms: int,
    idle_after_s: float,
    on_fetch: Callable[[], None] = lambda: None,
) -> None:
    """Replace a FastStream batch subscriber's poll (get_msg) with one that paces its fetches:
    `active_wait_ms` while busy, `idle_wait_ms` (at least as long) after `idle_after_s` without records."""
    pace = FetchPace(active_wait_ms, idle_wait_ms, idle_after_s)

    async def get_msg(consumer: AIOKafkaConsumer) -> tuple[ConsumerRecord[Any, Any], ...]:
        on_fetch()
        batches = await consumer.getmany(timeout_ms=POLL_WAIT_MS, max_records=max_records)
        was_idle = pace.idle
        _set_fetch_wait(consumer, pace.wait_ms(bool(batches), time.monotonic()))
        if pace.idle != was_idle:
            log.debug("consumer %s", "idle: fetching slowly" if pace.idle else "busy: fetching quickly")
        return tuple(chain.from_iterable(batches.values()))

    subscriber.get_msg = get_msg
