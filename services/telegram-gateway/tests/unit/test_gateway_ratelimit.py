"""Flood control: 20 messages per 10 s per chat, one warning, then silence until there is room."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram_gateway.bot.ratelimit import RateLimiter, Verdict

pytestmark = pytest.mark.unit


def test_the_21st_message_in_the_window_is_warned_once_then_dropped() -> None:
    limiter = RateLimiter(limit=20, window=10.0)
    verdicts = [limiter.hit(1, 0.1 * i) for i in range(25)]
    assert verdicts[:20] == [Verdict.ALLOW] * 20
    assert verdicts[20] == Verdict.WARN
    assert verdicts[21:] == [Verdict.DROP] * 4


def test_room_again_once_the_window_passes() -> None:
    limiter = RateLimiter(limit=2, window=10.0)
    assert [limiter.hit(1, t) for t in (0, 1, 2, 3)] == [
        Verdict.ALLOW,
        Verdict.ALLOW,
        Verdict.WARN,
        Verdict.DROP,
    ]
    assert limiter.hit(1, 10.5) == Verdict.ALLOW  # the hit at 0 left the window
    assert limiter.hit(1, 10.6) == Verdict.WARN  # and a new flood is warned again


def test_chats_are_limited_separately() -> None:
    limiter = RateLimiter(limit=1, window=10.0)
    assert limiter.hit(1, 0) == Verdict.ALLOW
    assert limiter.hit(2, 0) == Verdict.ALLOW
    assert limiter.hit(1, 1) == Verdict.WARN


def test_idle_chats_are_forgotten_when_full() -> None:
    limiter = RateLimiter(limit=1, window=1.0, max_chats=2)
    limiter.hit(1, 0)
    limiter.hit(2, 0)
    limiter.hit(3, 5)
    assert set(limiter._chats) == {3}


@given(st.lists(st.floats(min_value=0, max_value=0.5), min_size=1, max_size=200))
def test_never_more_than_limit_allowed_in_any_window(gaps: list[float]) -> None:
    limiter = RateLimiter(limit=5, window=2.0)
    now, allowed = 0.0, []
    for gap in gaps:
        now += gap
        if limiter.hit(7, now) is Verdict.ALLOW:
            allowed.append(now)
    for i, start in enumerate(allowed):
        assert len([t for t in allowed[i:] if t < start + 2.0]) <= 5
