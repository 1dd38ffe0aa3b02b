"""A consumer fetches quickly while records come and slowly once none came for a while."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from meterbot_platform.idle_fetch import FetchPace

pytestmark = pytest.mark.unit


def test_quick_while_records_come_slow_after_a_quiet_spell_quick_again_at_once() -> None:
    pace = FetchPace(active_ms=50, idle_ms=500, idle_after_s=5)
    assert pace.wait_ms(True, now=100.0) == 50
    assert pace.wait_ms(False, now=104.9) == 50
    assert pace.wait_ms(False, now=105.0) == 500
    assert pace.wait_ms(False, now=200.0) == 500
    assert pace.wait_ms(True, now=200.1) == 50


@given(active=st.integers(1, 5000), idle=st.integers(1, 5000))
def test_an_idle_consumer_never_fetches_quicker_than_a_busy_one(active: int, idle: int) -> None:
    pace = FetchPace(active_ms=active, idle_ms=idle, idle_after_s=0)
    assert pace.wait_ms(False, now=1e9) == max(active, idle)
