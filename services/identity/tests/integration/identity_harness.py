"""What identity's integration tests get: the running service, and the broker seen from outside
(meterbot_testing.bus)."""

from __future__ import annotations

import dataclasses

import asyncpg
from meterbot_platform.settings import KafkaSettings
from meterbot_testing.bus import Bus, eventually

__all__ = ["Bus", "Service", "eventually"]


@dataclasses.dataclass
class Service:
    pool: asyncpg.Pool
    kafka: KafkaSettings
