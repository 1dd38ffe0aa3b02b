"""Deciding on ReadingSubmitted / ReadingWithdrawalRequested for one meter."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from meterbot_contracts.readings import (
    MeterClosed,
    MeterRegistered,
    MeterType,
    ReadingAccepted,
    ReadingRejected,
    ReadingSubmitted,
    ReadingWithdrawalRefused,
    ReadingWithdrawalRequested,
    ReadingWithdrawn,
)
from readings.domain import MeterState, ReadingPolicy, decide_submission, decide_withdrawal, evolve, fold

pytestmark = pytest.mark.unit

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)  # 12:00 MSK, period 2025-03
POLICY = ReadingPolicy()


def meter(
    *, verified_until: date | None = date(2030, 1, 1), last_value: str | None = "250.550"
) -> MeterState:
    return fold(
        [
            MeterRegistered(
                meter_id="M1",
                account_number="A1",
                meter_type=MeterType.HOT_WATER,
                serial_number="SN",
                verified_until=verified_until,
                last_value=None if last_value is None else Decimal(last_value),
                last_value_date=date(2025, 2, 25),
            )
        ]
    )


def submit(raw: str, account: str = "A1") -> ReadingSubmitted:
    return ReadingSubmitted(chat_id=7, account_number=account, meter_id="M1", raw_value=raw)


def decide(
    state: MeterState,
    raw: str = "260",
    *,
    account: str = "A1",
    linked: bool = True,
    now: datetime = NOW,
    policy: ReadingPolicy = POLICY,
    closed: frozenset[str] = frozenset(),
) -> ReadingAccepted | ReadingRejected:
    [event] = decide_submission(
        state,
        submit(raw, account),
        now=now,
        reading_id=uuid4(),
        chat_linked=linked,
        policy=policy,
        closed_periods=closed,
    )
    assert isinstance(event, ReadingAccepted | ReadingRejected)  # these meters never ask (issue 14)
    return event


def reason(event: ReadingAccepted | ReadingRejected) -> str:
    assert isinstance(event, ReadingRejected), event
    return str(event.reason)


def test_accepted_reading_carries_period_previous_value_and_time() -> None:
    event = decide(meter(), "260")
    assert isinstance(event, ReadingAccepted)
    assert (event.value, event.previous_value, event.period) == (Decimal(260), Decimal("250.550"), "2025-03")
    assert event.submitted_at == NOW
    assert event.meter_type is MeterType.HOT_WATER
    assert event.replaces_reading_id is None


def test_second_reading_in_the_period_replaces_the_first_and_uses_the_same_previous_value() -> None:
    # given a reading of 300 accepted this period
    state = meter()
    first = decide(state, "300")
    assert isinstance(first, ReadingAccepted)
    state = evolve(state, first)
    # when the resident corrects it to 251 (below the first, not below the previous period)
    second = decide(state, "251")
    # then it replaces the first and is checked against 250.550 again
    assert isinstance(second, ReadingAccepted)
    assert second.replaces_reading_id == first.reading_id
    assert second.previous_value == Decimal("250.550")
    # and 250 is still refused
    assert reason(decide(evolve(state, second), "250")) == "below_previous"


def test_a_reading_in_the_next_period_is_checked_against_this_periods_reading() -> None:
    state = evolve(meter(), decide(meter(), "300"))
    april = datetime(2025, 4, 2, 9, tzinfo=UTC)
    rejected = decide(state, "299", now=april)
    assert reason(rejected) == "below_previous"
    assert isinstance(rejected, ReadingRejected)
    assert (rejected.previous_value, rejected.max_allowed) == (Decimal(300), Decimal(400))


def test_value_refusals_carry_previous_value_and_max_allowed() -> None:
    rejected = decide(meter(), "351")
    assert isinstance(rejected, ReadingRejected)
    assert (rejected.reason, rejected.previous_value, rejected.max_allowed) == (
        "above_max_delta",
        Decimal("250.550"),
        Decimal(350),
    )
    assert rejected.raw_value == "351"


def test_max_delta_comes_from_the_policy_per_meter_type() -> None:
    policy = ReadingPolicy(max_delta={MeterType.HOT_WATER: 1000})
    assert isinstance(decide(meter(), "1250", policy=policy), ReadingAccepted)


def test_verification_on_today_is_still_valid_and_yesterday_is_expired() -> None:
    # NOW is 2025-03-10 in Moscow
    assert isinstance(decide(meter(verified_until=date(2025, 3, 10))), ReadingAccepted)
    assert reason(decide(meter(verified_until=date(2025, 3, 9)))) == "verification_expired"
    assert isinstance(decide(meter(verified_until=None)), ReadingAccepted)


def test_verification_uses_the_billing_time_zone() -> None:
    # 2025-03-10 22:30 UTC is already 2025-03-11 in Moscow
    late = datetime(2025, 3, 10, 22, 30, tzinfo=UTC)
    assert reason(decide(meter(verified_until=date(2025, 3, 10)), now=late)) == "verification_expired"


def test_meter_without_any_previous_value_accepts_any_integer() -> None:
    assert isinstance(decide(meter(last_value=None), "0"), ReadingAccepted)


# Each case breaks every check from its position onwards; the first one listed must win.
REASONS_IN_ORDER = [
    "not_linked",
    "unknown_meter",
    "meter_closed",
    "verification_expired",
    "outside_window",
    "period_closed",
    "not_a_number",
    "not_an_integer",
    "below_previous",
    "above_max_delta",
]


@pytest.mark.parametrize("position", range(len(REASONS_IN_ORDER)))
def test_exactly_one_reason_in_the_fixed_order(position: int) -> None:
    broken = set(REASONS_IN_ORDER[position:])
    state = meter(verified_until=date(2025, 1, 1) if "verification_expired" in broken else date(2030, 1, 1))
    if "meter_closed" in broken:
        state = evolve(state, MeterClosed(meter_id="M1", account_number="A1"))
    raw = "260"
    for value_reason, text in [
        ("above_max_delta", "999"),
        ("below_previous", "1"),
        ("not_an_integer", "2,5"),
        ("not_a_number", "x"),
    ]:
        if value_reason in broken:
            raw = text
    event = decide(
        state,
        raw,
        account="A2" if "unknown_meter" in broken else "A1",
        linked="not_linked" not in broken,
        policy=ReadingPolicy(window="20-25") if "outside_window" in broken else POLICY,
        closed=frozenset({"2025-03"}) if "period_closed" in broken else frozenset(),
    )
    assert reason(event) == REASONS_IN_ORDER[position]


def test_unregistered_meter_is_unknown() -> None:
    assert reason(decide(MeterState())) == "unknown_meter"


def withdraw(
    state: MeterState, *, linked: bool = True, closed: frozenset[str] = frozenset(), account: str = "A1"
) -> ReadingWithdrawn | ReadingWithdrawalRefused:
    [event] = decide_withdrawal(
        state,
        ReadingWithdrawalRequested(chat_id=8, account_number=account, meter_id="M1"),
        now=NOW,
        chat_linked=linked,
        policy=POLICY,
        closed_periods=closed,
    )
    return event


def test_withdrawal_of_this_periods_reading_by_another_family_member() -> None:
    # given chat 7 submitted a reading this period
    accepted = decide(meter(), "260")
    assert isinstance(accepted, ReadingAccepted)
    state = evolve(meter(), accepted)
    # when chat 8 (linked to the same account) withdraws it
    event = withdraw(state)
    # then that reading is withdrawn and the period has no reading left
    assert event == ReadingWithdrawn(
        reading_id=accepted.reading_id, chat_id=8, account_number="A1", meter_id="M1", period="2025-03"
    )
    state = evolve(state, event)
    assert state.reading_in("2025-03") is None
    refused = withdraw(state)
    assert isinstance(refused, ReadingWithdrawalRefused)
    assert refused.reason == "nothing_to_withdraw"


MARCH_CLOSED = frozenset({"2025-03"})


@pytest.mark.parametrize(
    ("linked", "closed", "account", "expected"),
    [
        (False, MARCH_CLOSED, "A1", "not_linked"),
        (True, MARCH_CLOSED, "A1", "period_closed"),
        (True, frozenset(), "A2", "nothing_to_withdraw"),
    ],
)
def test_withdrawal_refusals(linked: bool, closed: frozenset[str], account: str, expected: str) -> None:
    state = evolve(meter(), decide(meter(), "260"))
    event = withdraw(state, linked=linked, closed=closed, account=account)
    assert isinstance(event, ReadingWithdrawalRefused)
    assert event.reason == expected


def test_last_periods_reading_cannot_be_withdrawn_in_a_new_period() -> None:
    february = decide(meter(), "260", now=datetime(2025, 2, 27, tzinfo=UTC))
    event = withdraw(evolve(meter(), february))
    assert isinstance(event, ReadingWithdrawalRefused)
    assert event.reason == "nothing_to_withdraw"
