"""Opt-in flood control, as Telegram has it: at most ``per_bot`` sends a second per bot (a sliding
1-second window) and one send per ``chat_interval`` seconds per chat. A send over either limit is
answered 429 with ``parameters.retry_after`` (whole seconds, at least 1), and until then every send
of that bot (or into that chat) is 429 again. Off by default (``BotApiServer(flood=None)``).

What it saw is counted for tests and benchmarks: ``accepted``, ``refused`` (429s) and ``early``
(sends that came while a retry_after the server gave was still running: a sender that honours
retry_after, with one request in flight, makes none)."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from .base import ApiError


@dataclass
class FloodLimit:
    per_bot: int | None = None
    chat_interval: float | None = None
    clock: Callable[[], float] = time.monotonic
    accepted: int = 0
    refused: int = 0
    early: int = 0
    _recent: dict[int, deque[float]] = field(default_factory=dict)  # per bot: sends in the last second
    _last: dict[tuple[int, int], float] = field(default_factory=dict)  # per chat: the last send
    _banned: dict[tuple[int, int | None], float] = field(default_factory=dict)  # until when

    def take(self, bot_id: int, chat_id: int) -> None:
        """Count one send, or raise the 429 Telegram would answer."""
        now = self.clock()
        for key in ((bot_id, None), (bot_id, chat_id)):
            if (until := self._banned.get(key, 0.0)) > now:
                self.early += 1
                self._refuse(key, until - now, now, extend=False)
        recent = self._recent.setdefault(bot_id, deque())
        while recent and recent[0] <= now - 1.0:
            recent.popleft()
        if self.per_bot is not None and len(recent) >= self.per_bot:
            self._refuse((bot_id, None), recent[0] + 1.0 - now, now)
        last = self._last.get((bot_id, chat_id))
        if self.chat_interval is not None and last is not None and now - last < self.chat_interval:
            self._refuse((bot_id, chat_id), last + self.chat_interval - now, now)
        recent.append(now)
        self._last[(bot_id, chat_id)] = now
        self.accepted += 1

    def _refuse(self, key: tuple[int, int | None], wait: float, now: float, *, extend: bool = True) -> None:
        self.refused += 1
        retry_after = max(1, math.ceil(wait))
        if extend:
            self._banned[key] = now + retry_after
        raise ApiError(
            429, f"Too Many Requests: retry after {retry_after}", parameters={"retry_after": retry_after}
        )
