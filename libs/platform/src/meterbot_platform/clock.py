"""The clock a service's rules count time by. Injected (a service's Deps, its make_wire), so tests
fix it or move it; production passes utc_now."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)
