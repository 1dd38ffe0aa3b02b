"""decide_close with the count given by the store (the period loaded without its readings)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from billing_export.domain import PeriodExport, decide_close, evolve
from meterbot_contracts.billing import PeriodClosed

pytestmark = pytest.mark.unit
NOW = datetime(2025, 3, 26, tzinfo=UTC)


def test_a_given_count_is_reported() -> None:
    state = PeriodExport(period="2025-03")
    assert decide_close(state, now=NOW, readings_count=1_000_000) == [
        PeriodClosed(period="2025-03", closed_at=NOW, readings_count=1_000_000)
    ]


def test_a_closed_period_is_not_closed_again_whatever_the_count() -> None:
    [closed] = decide_close(PeriodExport(period="2025-03"), now=NOW, readings_count=3)
    assert decide_close(evolve(PeriodExport(period="2025-03"), closed), now=NOW, readings_count=4) == []
