"""Deciding on a submitted reading or a withdrawal for one meter.

A reading is refused for exactly one reason, the first that applies in this order: not_linked,
unknown_meter (no such meter, or it belongs to another account), meter_closed, verification_expired
(verified_until before today in the billing time zone), outside_window, period_closed, not_a_number,
not_an_integer, below_previous, above_max_delta. The value-related refusals carry previous_value and
max_allowed. A second reading in the same open period replaces the first (replaces_reading_id).

Withdrawal ("Удалить последние показания") removes the reading that counts for the current period,
whoever in the family submitted it. Refused, in this order: not_linked, nothing_to_withdraw (no
reading this period, unknown meter or another account's meter), period_closed."""

from __future__ import annotations

from collections.abc import Set
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from meterbot_contracts.readings import (
    Period,
    ReadingAccepted,
    ReadingRejected,
    ReadingSubmitted,
    ReadingWithdrawalRefused,
    ReadingWithdrawalRequested,
    ReadingWithdrawn,
)

from readings.domain.errors import (
    ChatNotLinked,
    MeterIsClosed,
    NothingToWithdraw,
    OutsideWindow,
    PeriodIsClosed,
    ReadingRefused,
    UnknownMeter,
    VerificationExpired,
    WithdrawalNotLinked,
    WithdrawalPeriodClosed,
    WithdrawalRefused,
)
from readings.domain.meter import MeterInfo, MeterState
from readings.domain.period import local_date, period_of, period_of_date
from readings.domain.policy import ReadingPolicy
from readings.domain.value_rule import validate_value


def _known_meter(state: MeterState, account_number: str) -> MeterInfo:
    if state.info is None or state.info.account_number != account_number:
        raise UnknownMeter()
    return state.info


def _check_meter_usable(state: MeterState, info: MeterInfo, *, today: date, policy: ReadingPolicy) -> None:
    if state.closed:
        raise MeterIsClosed()
    if info.verified_until is not None and info.verified_until < today:
        raise VerificationExpired(info.verified_until)
    if not policy.window.is_open(today):
        raise OutsideWindow()


def _accept(
    state: MeterState,
    command: ReadingSubmitted,
    *,
    now: datetime,
    reading_id: UUID,
    chat_linked: bool,
    policy: ReadingPolicy,
    closed_periods: Set[Period],
) -> ReadingAccepted:
    if not chat_linked:
        raise ChatNotLinked()
    info = _known_meter(state, command.account_number)
    today = local_date(now, policy.time_zone)
    _check_meter_usable(state, info, today=today, policy=policy)
    period = period_of_date(today)
    if period in closed_periods:
        raise PeriodIsClosed()
    previous = state.previous_value(period)
    value = validate_value(command.raw_value, previous, policy.max_delta_for(info.meter_type))
    replaced = state.reading_in(period)
    return ReadingAccepted(
        reading_id=reading_id,
        chat_id=command.chat_id,
        account_number=command.account_number,
        meter_id=command.meter_id,
        meter_type=info.meter_type,
        value=Decimal(value),
        previous_value=previous,
        period=period,
        submitted_at=now,
        replaces_reading_id=replaced.reading_id if replaced else None,
    )


def decide_submission(
    state: MeterState,
    command: ReadingSubmitted,
    *,
    now: datetime,
    reading_id: UUID,
    chat_linked: bool,
    policy: ReadingPolicy,
    closed_periods: Set[Period] = frozenset(),
) -> list[ReadingAccepted | ReadingRejected]:
    """ReadingAccepted, or ReadingRejected with the first reason that applies. `now` must be aware."""
    try:
        accepted = _accept(
            state,
            command,
            now=now,
            reading_id=reading_id,
            chat_linked=chat_linked,
            policy=policy,
            closed_periods=closed_periods,
        )
    except ReadingRefused as refused:
        return [
            ReadingRejected(
                chat_id=command.chat_id,
                account_number=command.account_number,
                meter_id=command.meter_id,
                raw_value=command.raw_value,
                reason=refused.reason,
                previous_value=refused.previous_value,
                min_allowed=None if refused.min_allowed is None else Decimal(refused.min_allowed),
                max_allowed=None if refused.max_allowed is None else Decimal(refused.max_allowed),
                verified_until=getattr(refused, "verified_until", None),
            )
        ]
    return [accepted]


def _withdraw(
    state: MeterState,
    command: ReadingWithdrawalRequested,
    *,
    now: datetime,
    chat_linked: bool,
    policy: ReadingPolicy,
    closed_periods: Set[Period],
) -> ReadingWithdrawn:
    if not chat_linked:
        raise WithdrawalNotLinked()
    period = period_of(now, policy.time_zone)
    current = state.reading_in(period)
    if state.info is None or state.info.account_number != command.account_number or current is None:
        raise NothingToWithdraw()
    if period in closed_periods:
        raise WithdrawalPeriodClosed()
    return ReadingWithdrawn(
        reading_id=current.reading_id,
        chat_id=command.chat_id,
        account_number=command.account_number,
        meter_id=command.meter_id,
        period=period,
    )


def decide_withdrawal(
    state: MeterState,
    command: ReadingWithdrawalRequested,
    *,
    now: datetime,
    chat_linked: bool,
    policy: ReadingPolicy,
    closed_periods: Set[Period] = frozenset(),
) -> list[ReadingWithdrawn | ReadingWithdrawalRefused]:
    try:
        withdrawn = _withdraw(
            state, command, now=now, chat_linked=chat_linked, policy=policy, closed_periods=closed_periods
        )
    except WithdrawalRefused as refused:
        return [
            ReadingWithdrawalRefused(
                chat_id=command.chat_id,
                account_number=command.account_number,
                meter_id=command.meter_id,
                reason=refused.reason,
            )
        ]
    return [withdrawn]
