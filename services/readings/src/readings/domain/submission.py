"""Deciding on a submitted reading or a withdrawal for one meter.

A reading is refused for exactly one reason, the first that applies in this order: not_linked,
unknown_meter (no such meter, or it belongs to another account), meter_closed (meter_replaced when
another meter replaced it), verification_expired
(verified_until before today in the billing time zone), outside_window, period_closed, not_a_number,
not_an_integer, too_many_digits (the counter has fewer integer digits), below_previous (unless the
counter passing zero explains it: then the resident is asked first, capacity.py), above_max_delta.
The value-related refusals carry previous_value and max_allowed. A consumption above what is expected
(anomaly.py) is asked about too. An answer that asks (ReadingConfirmationAsked) changes no state,
like a refusal; the gateway sends the value again with the resident's answer (ReadingSubmittedV2).
A second reading in the same open period replaces the first (replaces_reading_id).

Withdrawal ("Удалить последние показания") removes the reading that counts for the current period,
whoever in the family submitted it. Refused, in this order: not_linked, nothing_to_withdraw (no
reading this period, unknown meter or another account's meter), period_closed."""

from __future__ import annotations

from collections.abc import Set
from datetime import date, datetime
from decimal import Decimal
from typing import get_args
from uuid import UUID

from meterbot_contracts.readings import (
    Period,
    ReadingAccepted,
    ReadingAcceptedV2,
    ReadingConfirmationAsked,
    ReadingRejected,
    ReadingRejectedV2,
    ReadingSubmitted,
    ReadingSubmittedV2,
    ReadingWithdrawalRefused,
    ReadingWithdrawalRequested,
    ReadingWithdrawn,
    RejectionReason,
)

from readings.domain.anomaly import anomaly_limit, is_anomalous
from readings.domain.capacity import check_digits, rollover_consumption
from readings.domain.errors import (
    ChatNotLinked,
    ConfirmationNeeded,
    MeterIsClosed,
    MeterWasReplaced,
    NothingToWithdraw,
    OutsideWindow,
    PeriodIsClosed,
    ReadingBelowPrevious,
    ReadingRefused,
    TooManyDigits,
    UnknownMeter,
    VerificationExpired,
    WithdrawalNotLinked,
    WithdrawalPeriodClosed,
    WithdrawalRefused,
)
from readings.domain.meter import MeterInfo, MeterState
from readings.domain.period import local_date, period_of, period_of_date
from readings.domain.policy import ReadingPolicy
from readings.domain.value_rule import check_range, parse_value, value_bounds

V1_REASONS = frozenset(get_args(RejectionReason))


def _known_meter(state: MeterState, account_number: str) -> MeterInfo:
    if state.info is None or state.info.account_number != account_number:
        raise UnknownMeter()
    return state.info


def _check_meter_usable(state: MeterState, info: MeterInfo, *, today: date, policy: ReadingPolicy) -> None:
    if state.closed:
        raise MeterWasReplaced() if state.replaced_by is not None else MeterIsClosed()
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
    value, consumption, rollover = _checked_value(info, command, previous, policy)
    warned = _anomaly_checked(
        state,
        info,
        command,
        period=period,
        value=value,
        consumption=consumption,
        rollover=rollover,
        previous=previous,
        policy=policy,
    )
    replaced = state.reading_in(period)
    fields = {
        "reading_id": reading_id,
        "chat_id": command.chat_id,
        "account_number": command.account_number,
        "meter_id": command.meter_id,
        "meter_type": info.meter_type,
        "value": Decimal(value),
        "previous_value": previous,
        "period": period,
        "submitted_at": now,
        "replaces_reading_id": replaced.reading_id if replaced else None,
    }
    if rollover or warned:
        return ReadingAcceptedV2(
            **fields, rollover=rollover, consumption=consumption, confirmed_after_warning=warned
        )
    return ReadingAccepted(**fields)


def _checked_value(
    info: MeterInfo,
    command: ReadingSubmitted,
    previous: Decimal | None,
    policy: ReadingPolicy,
) -> tuple[int, Decimal | None, bool]:
    """(value, consumption, across the counter's zero) by the value rule, the counter's digits and
    the resident's answer to the rollover question (value_rule.py, capacity.py)."""
    max_delta = policy.max_delta_for(info.meter_type)
    bounds = value_bounds(previous, max_delta)
    value = parse_value(command.raw_value, bounds)
    check_digits(value, info.digits, previous=previous, min_allowed=bounds.min_allowed)
    if value >= bounds.min_allowed:
        check_range(value, bounds)
        return value, None if previous is None else value - previous, False
    rolled = rollover_consumption(previous, value, info.digits, max_delta)
    answer = command.rollover if isinstance(command, ReadingSubmittedV2) else None
    if rolled is None or answer == "no":
        raise bounds.refusal(ReadingBelowPrevious)
    if answer is None:
        raise ConfirmationNeeded("rollover", value=value, previous_value=previous, consumption=rolled)
    return value, rolled, True


def _anomaly_checked(
    state: MeterState,
    info: MeterInfo,
    command: ReadingSubmitted,
    *,
    period: Period,
    value: int,
    consumption: Decimal | None,
    rollover: bool,
    previous: Decimal | None,
    policy: ReadingPolicy,
) -> bool:
    """True if the consumption is above what is expected and the resident confirmed it; asks if not
    confirmed yet (anomaly.py)."""
    if consumption is None:
        return False
    limit = anomaly_limit(
        state.consumptions_before(period),
        k=policy.anomaly_k,
        norm=policy.norm_for(info.meter_type),
        residents=info.residents,
    )
    if not is_anomalous(consumption, limit):
        return False
    if isinstance(command, ReadingSubmittedV2) and command.anomaly_confirmed:
        return True
    raise ConfirmationNeeded(
        "anomaly",
        value=value,
        previous_value=previous,
        consumption=consumption,
        expected=limit,
        rollover=rollover,
    )


def _rejected(command: ReadingSubmitted, refused: ReadingRefused) -> ReadingRejected:
    fields = {
        "chat_id": command.chat_id,
        "account_number": command.account_number,
        "meter_id": command.meter_id,
        "raw_value": command.raw_value,
        "reason": refused.reason,
        "previous_value": refused.previous_value,
        "min_allowed": None if refused.min_allowed is None else Decimal(refused.min_allowed),
        "max_allowed": None if refused.max_allowed is None else Decimal(refused.max_allowed),
        "verified_until": getattr(refused, "verified_until", None),
    }
    if refused.reason in V1_REASONS:  # v1 says it as before
        return ReadingRejected(**fields)
    digits = refused.digits if isinstance(refused, TooManyDigits) else None
    return ReadingRejectedV2(**fields, digits=digits)


def _asked(command: ReadingSubmitted, needed: ConfirmationNeeded) -> ReadingConfirmationAsked:
    return ReadingConfirmationAsked(
        chat_id=command.chat_id,
        account_number=command.account_number,
        meter_id=command.meter_id,
        raw_value=command.raw_value,
        check=needed.check,
        value=Decimal(needed.value),
        previous_value=needed.previous_value,
        consumption=needed.consumption,
        expected=needed.expected,
        rollover=needed.rollover,
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
) -> list[ReadingAccepted | ReadingRejected | ReadingConfirmationAsked]:
    """ReadingAccepted, ReadingRejected with the first reason that applies, or ReadingConfirmationAsked
    (v2 versions where v1 cannot say it). `now` must be aware."""
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
        return [_rejected(command, refused)]
    except ConfirmationNeeded as needed:
        return [_asked(command, needed)]
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
