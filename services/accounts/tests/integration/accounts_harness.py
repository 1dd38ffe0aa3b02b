"""What accounts' integration tests get: the running service with a clock they move, and the broker
seen from outside (meterbot_testing.bus)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import asyncpg
from meterbot_platform.settings import KafkaSettings
from meterbot_testing.bus import Bus, eventually

__all__ = ["Bus", "MovableClock", "Service", "eventually"]


class MovableClock:
    """Real time unless a test fixes it."""

    def __init__(self) -> None:
        self.fixed: datetime | None = None

    def __call__(self) -> datetime:
        return self.fixed or datetime.now(UTC)


@dataclasses.dataclass
class Service:
    pool: asyncpg.Pool
    clock: MovableClock
    kafka: KafkaSettings
