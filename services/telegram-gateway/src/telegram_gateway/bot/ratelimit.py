"""Flood control per chat: at most `limit` messages in a sliding `window`; the first one over the
limit gets a warning, the rest are dropped until the window has room again. Pure: time comes in."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum


class Verdict(Enum):
    ALLOW = "allow"
    WARN = "warn"  # over the limit: answer once
    DROP = "drop"  # still over the limit: ignore silently


@dataclass
class _Chat:
    hits: deque[float] = field(default_factory=deque)
    warned: bool = False


class RateLimiter:
    def __init__(
        self,
        limit: int = 20,
        window: float = 10.0,
        max_chats: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit, self.window, self._max_chats = limit, window, max_chats
        self.clock = clock  # the caller's "now"; tests replace it to make time pass on purpose
        self._chats: dict[int, _Chat] = {}

    def hit(self, chat_id: int, now: float) -> Verdict:
        chat = self._chats.get(chat_id)
        if chat is None:
            if len(self._chats) >= self._max_chats:
                self._forget_idle(now)
            chat = self._chats[chat_id] = _Chat()
        while chat.hits and chat.hits[0] <= now - self.window:
            chat.hits.popleft()
        if len(chat.hits) < self.limit:
            # Only accepted messages fill the window, so a flood that stops is served again promptly.
            chat.hits.append(now)
            chat.warned = False
            return Verdict.ALLOW
        if chat.warned:
            return Verdict.DROP
        chat.warned = True
        return Verdict.WARN

    def _forget_idle(self, now: float) -> None:
        idle = [cid for cid, c in self._chats.items() if not c.hits or c.hits[-1] <= now - self.window]
        for cid in idle:
            del self._chats[cid]
