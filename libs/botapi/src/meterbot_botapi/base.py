"""Basics shared by every module: JSON alias, unix time, Bot API errors and the change signal."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, TypeVar

JSON = dict[str, Any]
T = TypeVar("T")


def now() -> int:
    """Current unix time, as Telegram puts in ``date`` fields."""
    return int(time.time())


class ApiError(Exception):
    """A Bot API failure, rendered as ``{"ok": false, "error_code", "description"}``."""

    def __init__(self, error_code: int, description: str, *, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters  # ResponseParameters, e.g. {"retry_after": 3} with a 429

    @classmethod
    def bad_request(cls, message: str) -> ApiError:
        return cls(400, f"Bad Request: {message}")

    def as_json(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class Changes:
    """Wakes every waiter when something changed (an Event swapped on each notify; no polling)."""

    def __init__(self) -> None:
        self._event: asyncio.Event | None = None

    def notify(self) -> None:
        if self._event is not None:
            self._event.set()
            self._event = None

    async def wait_for(self, predicate: Callable[[], T | None], timeout: float | None) -> T:  # noqa: ASYNC109
        """Return the first truthy ``predicate()``; raise TimeoutError after ``timeout`` seconds."""
        async with asyncio.timeout(timeout):
            while not (result := predicate()):
                if self._event is None:
                    self._event = asyncio.Event()
                await self._event.wait()
            return result
