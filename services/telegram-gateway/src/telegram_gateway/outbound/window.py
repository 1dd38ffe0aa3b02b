"""The per-bot limit kept on Telegram's clock, not only on ours.

Timed sends alone overshoot: a send scheduled for its slot leaves late when the event loop was busy
(a claim, a notice round) and then several leave together; the requests also take a varying time to
arrive, so Telegram may stamp more than the limit into one of its seconds (measured: 1,296 in a
second at 1,000/s, 37 at 30/s). The rule here needs no clock agreement: Telegram takes a message at
some moment between our request's start and its end, so a request may start only while fewer than
`limit` requests are in flight or ended less than a second ago. Then, for any second S on Telegram's
clock, the last request taken in S started before S ended, and each other one taken in S ended after
S began, so was still counted when that last one started: at most `limit` in S. The cost is the
round trip: about limit / (1 + latency) messages a second."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque


class SendWindow:
    def __init__(self, limit: int, max_in_flight: int) -> None:
        self.limit, self.max_in_flight = max(1, limit), max(1, max_in_flight)
        self.in_flight = 0
        self._ended: deque[float] = deque()  # loop times of the requests that ended in the last second
        self._changed = asyncio.Event()

    def _busy(self, now: float) -> int:
        while self._ended and self._ended[0] <= now - 1.0:
            self._ended.popleft()
        return self.in_flight + len(self._ended)

    async def acquire(self) -> None:
        """Wait until a request may start; then it counts as in flight until `release`."""
        loop = asyncio.get_running_loop()
        while self.in_flight >= self.max_in_flight or self._busy(loop.time()) >= self.limit:
            self._changed.clear()
            # a request ending, or the oldest ended one leaving the second, frees a place
            wait = self._ended[0] + 1.0 - loop.time() if self._ended else None
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._changed.wait()
        self.in_flight += 1

    def release(self) -> None:
        self.in_flight -= 1
        self._ended.append(asyncio.get_running_loop().time())
        self._changed.set()
