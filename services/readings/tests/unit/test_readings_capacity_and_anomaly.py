"""Issue 14 items 1, 2, 5 as pure rules: the registry's optional columns on the meter, the counter's
digits (rollover across zero, too many digits) and the anomaly warning, each alone (hypothesis over
their ranges) and through decide_submission."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_CEILING, Decimal
from statistics import median
from typing import Literal
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st
from meterbot_contracts.billing import RegistryMeter, RegistryMeterV2
from meterbot_contracts.readings import (
    MeterRegistered,
    MeterRegisteredV2,
    MeterType,
    ReadingAccepted,
    ReadingAcceptedV2,
    ReadingConfirmationAsked,
    ReadingRejected,
    ReadingRejectedV2,
    ReadingSubmittedV2,
)
from readings.domain import MeterState, ReadingPolicy, decide_registration, decide_submission, fold
from readings.domain.anomaly import anomaly_limit, is_anomalous
from readings.domain.capacity import rollover_consumption

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)  # period 2026-12
POLICY = ReadingPolicy()
Answer = ReadingAccepted | ReadingRejected | ReadingConfirmationAsked


def meter(
    previous: Decimal | None,
    *,
    digits: int | None = None,
    residents: int | None = None,
    meter_type: MeterType = MeterType.ELECTRICITY,
    dated: date | None = date(2026, 11, 30),
) -> MeterState:
    return fold(
        [
            MeterRegisteredV2(
                meter_id="M1",
                account_number="A1",
                meter_type=meter_type,
                serial_number="SN",
                verified_until=None,
                last_value=previous,
                last_value_date=dated,
                digits=digits,
                residents=residents,
            )
        ]
    )


def decide(
    state: MeterState,
    raw: str,
    *,
    rollover: Literal["yes", "no"] | None = None,
    confirmed: bool = False,
    policy: ReadingPolicy = POLICY,
) -> Answer:
    command = ReadingSubmittedV2(
        chat_id=7,
        account_number="A1",
        meter_id="M1",
        raw_value=raw,
        rollover=rollover,
        anomaly_confirmed=confirmed,
    )
    [event] = decide_submission(state, command, now=NOW, reading_id=uuid4(), chat_linked=True, policy=policy)
    return event


# --- item 1: the registry's optional columns -------------------------------------------------


def test_optional_columns_come_as_meter_registered_v2_and_only_then() -> None:
    plain = RegistryMeterV2(meter_id="M1", meter_type=MeterType.GAS)
    [v1] = decide_registration(MeterState(), "A1", plain)
    assert type(v1) is MeterRegistered
    assert decide_registration(
        MeterState(), "A1", RegistryMeter(meter_id="M1", meter_type=MeterType.GAS)
    ) == [v1]
    rich = RegistryMeterV2(
        meter_id="M1", meter_type=MeterType.GAS, digits=5, residents=2, initial_value=Decimal(0)
    )
    [v2] = decide_registration(fold([v1]), "A1", rich)
    assert isinstance(v2, MeterRegisteredV2)
    state = fold([v1, v2])
    assert (state.info.digits, state.info.residents) == (5, 2) if state.info else False
    assert decide_registration(state, "A1", rich) == []  # idempotent by content, v2 too


# --- item 2: the counter's digits -----------------------------------------------------------

capacities = st.integers(min_value=4, max_value=9)


@st.composite
def counter_case(draw: st.DrawFn) -> tuple[int, Decimal, int, int]:
    digits = draw(capacities)
    capacity = 10**digits
    thousandths = draw(st.integers(min_value=0, max_value=capacity * 1000 - 1))
    previous = Decimal(thousandths) / 1000
    near_zero = st.integers(min_value=0, max_value=min(capacity - 1, 2000))
    value = draw(st.one_of(near_zero, st.integers(min_value=0, max_value=capacity - 1)))
    max_delta = draw(st.integers(min_value=1, max_value=5000))
    return digits, previous, value, max_delta


@given(counter_case())
def test_rollover_is_exactly_the_counter_passing_zero_within_max_delta(
    case: tuple[int, Decimal, int, int],
) -> None:
    digits, previous, value, max_delta = case
    capacity = 10**digits
    consumption = rollover_consumption(previous, value, digits, max_delta)
    below = value < previous.to_integral_value(rounding=ROUND_CEILING)
    expected_ok = below and value + capacity - previous <= max_delta
    assert (consumption is not None) == expected_ok
    if consumption is not None:
        assert 0 < consumption <= max_delta
        assert (previous + consumption) % capacity == value  # the counter shows `value` again


@given(counter_case())
def test_a_value_below_the_previous_one_asks_then_yes_records_and_no_refuses(
    case: tuple[int, Decimal, int, int],
) -> None:
    digits, previous, value, max_delta = case
    policy = ReadingPolicy(default_max_delta=max_delta, norms={})
    state = meter(previous, digits=digits)
    consumption = rollover_consumption(previous, value, digits, max_delta)
    asked = decide(state, str(value), policy=policy)
    if consumption is None:
        assert not isinstance(asked, ReadingConfirmationAsked)
        return
    assert isinstance(asked, ReadingConfirmationAsked)
    assert (asked.check, asked.consumption, asked.previous_value) == ("rollover", consumption, previous)
    yes = decide(state, str(value), rollover="yes", policy=policy)
    assert isinstance(yes, ReadingAcceptedV2)
    assert (yes.rollover, yes.consumption, yes.value) == (True, consumption, Decimal(value))
    no = decide(state, str(value), rollover="no", policy=policy)
    assert isinstance(no, ReadingRejected)
    assert no.reason == "below_previous"


@given(capacities, st.integers(min_value=0, max_value=10**12), st.booleans())
def test_more_integer_digits_than_the_counter_has_are_refused_with_their_own_reason(
    digits: int, extra: int, with_previous: bool
) -> None:
    value = 10**digits + extra
    state = meter(Decimal(10**digits - 5) if with_previous else None, digits=digits)
    refused = decide(state, str(value), rollover="yes")
    assert isinstance(refused, ReadingRejectedV2)
    assert (refused.reason, refused.digits, refused.max_allowed) == (
        "too_many_digits",
        digits,
        10**digits - 1,
    )


@given(st.integers(min_value=0, max_value=10**6))
def test_without_digits_nothing_changes(value: int) -> None:
    answer = decide(meter(Decimal("250.550")), str(value), rollover="yes", policy=ReadingPolicy(norms={}))
    if 251 <= value <= 350:
        assert type(answer) is ReadingAccepted
    else:
        assert isinstance(answer, ReadingRejected)
        assert answer.reason == ("below_previous" if value < 251 else "above_max_delta")


# --- item 5: the anomaly warning ------------------------------------------------------------

amounts = st.decimals(min_value=0, max_value=500, places=2, allow_nan=False, allow_infinity=False)


@given(
    st.lists(amounts, max_size=10),
    st.decimals(min_value=1, max_value=10, places=1),
    st.one_of(st.none(), amounts),
    st.one_of(st.none(), st.integers(min_value=0, max_value=8)),
)
def test_the_limit_is_the_lower_of_k_times_the_median_and_the_norm_times_residents(
    history: list[Decimal], k: Decimal, norm: Decimal | None, residents: int | None
) -> None:
    limit = anomaly_limit(history, k=k, norm=norm, residents=residents)
    candidates = []
    if len(history) >= 3:
        candidates.append(k * median(history[-6:]))
    if norm is not None and residents is not None:
        candidates.append(norm * residents)
    assert limit == (min(candidates) if candidates else None)
    if limit is not None:
        assert not is_anomalous(limit, limit)
        assert is_anomalous(limit + Decimal("0.01"), limit)


def with_history(consumptions: list[int], *, residents: int | None = None) -> MeterState:
    """A cold water meter with one accepted reading a month from 2026-01, consuming as given."""
    state, value = meter(Decimal(0), residents=residents, meter_type=MeterType.COLD_WATER, dated=None), 0
    for month, used in enumerate(consumptions, start=1):
        value += used
        reading = ReadingAccepted(
            reading_id=uuid4(),
            chat_id=7,
            account_number="A1",
            meter_id="M1",
            meter_type=MeterType.COLD_WATER,
            value=Decimal(value),
            previous_value=Decimal(value - used),
            period=f"2026-{month:02d}",
            submitted_at=datetime(2026, month, 20, tzinfo=UTC),
        )
        state = fold([reading], state)
    return state


def test_above_k_times_the_median_asks_and_confirmed_is_recorded_as_such() -> None:
    state = with_history([5, 6, 4, 5, 7, 5])  # median 5, K 3: above 15 asks; value now 32
    assert type(decide(state, str(32 + 15))) is ReadingAccepted
    asked = decide(state, str(32 + 16))
    assert isinstance(asked, ReadingConfirmationAsked)
    assert (asked.check, asked.consumption, asked.expected) == ("anomaly", Decimal(16), Decimal(15))
    confirmed = decide(state, str(32 + 16), confirmed=True)
    assert isinstance(confirmed, ReadingAcceptedV2)
    assert confirmed.confirmed_after_warning and not confirmed.rollover
    assert isinstance(decide(state, str(32 + 101), confirmed=True), ReadingRejected)  # max_delta stays


def test_fewer_than_three_periods_never_warn_unless_the_norm_does() -> None:
    assert type(decide(with_history([1, 1]), str(2 + 90))) is ReadingAccepted
    asked = decide(with_history([1, 1], residents=2), str(2 + 14))  # norm 6.935 × 2 = 13.870
    assert isinstance(asked, ReadingConfirmationAsked)
    assert asked.expected == Decimal("13.870")


def test_a_rollover_above_the_limit_asks_both_in_turn() -> None:
    state = meter(Decimal(99990), digits=5, residents=1, meter_type=MeterType.COLD_WATER)
    first = decide(state, "20")  # consumption 30 > 6.935
    assert isinstance(first, ReadingConfirmationAsked)
    assert first.check == "rollover"
    second = decide(state, "20", rollover="yes")
    assert isinstance(second, ReadingConfirmationAsked)
    assert (second.check, second.rollover, second.consumption) == ("anomaly", True, Decimal(30))
    done = decide(state, "20", rollover="yes", confirmed=True)
    assert isinstance(done, ReadingAcceptedV2)
    assert (done.rollover, done.confirmed_after_warning, done.consumption) == (True, True, Decimal(30))
