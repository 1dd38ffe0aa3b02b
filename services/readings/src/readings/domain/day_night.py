"""Day/night electricity (issue 14 item 4): T1 and T2 of one two-tariff meter -- an electricity_day
and an electricity_night meter of the same account with the same serial number -- are recorded
together or not at all. Each register is decided by its own rule (decide_submission, in the order
T1, T2); the first that is not accepted is the answer (a refusal names the other register as
`pair_meter_id`: it is not kept either; a question is asked, and the pair comes again with the
answer, which applies to both registers). Both accepted: both ReadingAccepted events."""

from __future__ import annotations

from collections.abc import Set
from datetime import datetime
from uuid import UUID

from meterbot_contracts.readings import (
    DayNightReadingSubmitted,
    MeterType,
    Period,
    ReadingAccepted,
    ReadingConfirmationAsked,
    ReadingRejected,
    ReadingRejectedV2,
    ReadingSubmittedV2,
)

from readings.domain.meter import MeterState
from readings.domain.policy import ReadingPolicy
from readings.domain.submission import decide_submission

PairAnswer = ReadingAccepted | ReadingRejected | ReadingConfirmationAsked


def is_day_night_pair(day: MeterState, night: MeterState, account_number: str) -> bool:
    """Two registers of one meter: day and night types, the account's, one non-empty serial number."""
    if day.info is None or night.info is None:
        return False
    return (
        day.info.meter_type == MeterType.ELECTRICITY_DAY
        and night.info.meter_type == MeterType.ELECTRICITY_NIGHT
        and day.info.account_number == night.info.account_number == account_number
        and bool(day.info.serial_number)
        and day.info.serial_number == night.info.serial_number
    )


def _register(command: DayNightReadingSubmitted, meter_id: str, raw: str) -> ReadingSubmittedV2:
    return ReadingSubmittedV2(
        chat_id=command.chat_id,
        account_number=command.account_number,
        meter_id=meter_id,
        raw_value=raw,
        rollover=command.rollover,
        anomaly_confirmed=command.anomaly_confirmed,
    )


def _not_kept(answer: PairAnswer, other: str) -> PairAnswer:
    if isinstance(answer, ReadingRejected):
        fields = answer.model_dump(exclude={"pair_meter_id"})
        return ReadingRejectedV2(**fields, pair_meter_id=other)
    return answer


def decide_day_night(
    day: MeterState,
    night: MeterState,
    command: DayNightReadingSubmitted,
    *,
    now: datetime,
    reading_ids: tuple[UUID, UUID],
    chat_linked: bool,
    policy: ReadingPolicy,
    closed_periods: Set[Period] = frozenset(),
) -> list[PairAnswer]:
    """[T1 accepted, T2 accepted], or the one answer that keeps both out (see the module docstring)."""
    if chat_linked and not is_day_night_pair(day, night, command.account_number):
        refused = ReadingRejectedV2(
            chat_id=command.chat_id,
            account_number=command.account_number,
            meter_id=command.meter_id,
            raw_value=command.raw_value,
            reason="unknown_meter",
            pair_meter_id=command.night_meter_id,
        )
        return [refused]
    answers: list[PairAnswer] = []
    registers = (
        (day, command.meter_id, command.raw_value, command.night_meter_id),
        (night, command.night_meter_id, command.night_raw_value, command.meter_id),
    )
    for (state, meter_id, raw, other), reading_id in zip(registers, reading_ids, strict=True):
        [answer] = decide_submission(
            state,
            _register(command, meter_id, raw),
            now=now,
            reading_id=reading_id,
            chat_linked=chat_linked,
            policy=policy,
            closed_periods=closed_periods,
        )
        if not isinstance(answer, ReadingAccepted):
            return [_not_kept(answer, other)]
        answers.append(answer)
    return answers
