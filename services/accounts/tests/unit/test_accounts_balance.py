"""The balance rule: the newest as-of wins whatever order records come in; repeats change nothing."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from accounts.domain.balance import BalanceState, decide_balance, evolve_balance
from hypothesis import given
from hypothesis import strategies as st
from meterbot_contracts.billing import BalanceRecord

pytestmark = pytest.mark.unit

DAY0 = date(2026, 1, 1)


def record(as_of: date, amount: str = "100.00", due: date | None = None) -> BalanceRecord:
    return BalanceRecord(account_number="100001", amount_due=Decimal(amount), as_of=as_of, due_date=due)


def feed(records: list[BalanceRecord]) -> tuple[BalanceState, int]:
    state, recorded = BalanceState(), 0
    for r in records:
        for event in decide_balance(state, r):
            state, recorded = evolve_balance(state, event), recorded + 1
    return state, recorded


def test_a_first_record_is_recorded() -> None:
    [event] = decide_balance(BalanceState(), record(DAY0, "1520.30", DAY0 + timedelta(days=25)))
    assert (event.amount_due, event.currency, event.as_of) == (Decimal("1520.30"), "RUB", DAY0)


def test_an_older_record_never_replaces_a_newer_one() -> None:
    state, _ = feed([record(DAY0 + timedelta(days=30), "200.00")])
    assert decide_balance(state, record(DAY0, "999.00")) == []


def test_the_same_record_again_is_no_event() -> None:
    state, _ = feed([record(DAY0)])
    assert decide_balance(state, record(DAY0)) == []


def test_a_correction_of_the_same_day_is_recorded() -> None:
    state, _ = feed([record(DAY0, "100.00")])
    [event] = decide_balance(state, record(DAY0, "90.00"))
    assert event.amount_due == Decimal("90.00")


def test_a_malformed_record_is_refused_by_the_contract() -> None:
    with pytest.raises(ValueError):
        BalanceRecord.model_validate({"account_number": "1", "amount_due": "12.345", "as_of": "2026-01-01"})
    with pytest.raises(ValueError):
        BalanceRecord.model_validate(
            {"account_number": "1", "amount_due": "1", "currency": "rub", "as_of": "2026-01-01"}
        )


@given(st.permutations(list(range(6))), st.lists(st.integers(0, 5), max_size=6))
def test_any_order_with_repeats_ends_at_the_newest(order: list[int], repeats: list[int]) -> None:
    records = [record(DAY0 + timedelta(days=d), f"{d}.00") for d in [*order, *repeats]]
    state, recorded = feed(records)
    assert state.as_of == DAY0 + timedelta(days=5) and state.amount_due == Decimal("5.00")
    assert recorded <= 6  # never more events than distinct days
