"""When a resident is due a reminder or a verification notice: pure rules of (what the read model
knows, what was already sent, today) -> what is due. No I/O and no clock of their own: the
scheduler passes today's date; tests pass a fixed one.

- Reminders (one per resident, period and kind): `open` on the window's open days before the
  closing days, `closing` on the last `days_before_close` open days up to the window's last day
  (then only meters still missing are named). Both only while the window is open today, the period
  is not closed, reminders are on, and an open meter with a valid verification has no reading yet.
  A resident who links an account after the `open` reminder gets no second `open` one; the
  `closing` one names the new account's meters if they are still missing.
- Verification notices (one per meter, verification date and kind): `verify90` when 30 < days left
  <= 90, `verify30` when 0 <= days left <= 30 (a meter that enters the register with 20 days left
  gets only the 30-day one). An expired verification gets no notice: the reading refusal says what
  to do. Closed meters get none. Turning reminders off turns these off too (both are nudges).
- A resident busy with the bot (linked an account, was asked something or sent a command in the
  last minutes) is not interrupted by an unasked message; what is due stays due for a later round.
"""

from __future__ import annotations

import calendar
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from meterbot_contracts.period import split_period
from meterbot_contracts.readings import MeterType
from meterbot_contracts.window import SubmissionWindow

Fact = tuple[str, str]  # (kind, subject): what was sent to one resident, recorded once


class ReminderKind(StrEnum):
    OPEN = "reminder_open"
    CLOSING = "reminder_closing"


class VerificationKind(StrEnum):
    DAYS_90 = "verify90"
    DAYS_30 = "verify30"


VERIFICATION_DAYS = {VerificationKind.DAYS_90: 90, VerificationKind.DAYS_30: 30}


@dataclass(frozen=True)
class MeterFacts:
    meter_id: str
    account_number: str
    closed: bool
    verified_until: date | None
    handed_in: bool  # a reading that counts for the period
    meter_type: MeterType = MeterType.COLD_WATER  # for the message only; the rules do not weigh it


@dataclass(frozen=True)
class ResidentFacts:
    chat_id: int
    reminders_on: bool
    meters: tuple[MeterFacts, ...]  # of the accounts linked to the chat
    busy: bool = False  # talked to the bot a moment ago: not interrupted now, reminded in a later round


@dataclass(frozen=True)
class ReminderDue:
    chat_id: int
    period: str
    kind: ReminderKind
    missing: tuple[MeterFacts, ...]  # the meters without a reading, by account

    @property
    def fact(self) -> Fact:
        return (self.kind.value, self.period)

    @property
    def accounts(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m.account_number for m in self.missing))


@dataclass(frozen=True)
class VerificationDue:
    chat_id: int
    kind: VerificationKind
    meter: MeterFacts
    verified_until: date
    days_left: int

    @property
    def fact(self) -> Fact:
        return (self.kind.value, f"{self.meter.meter_id}@{self.verified_until.isoformat()}")


def open_days(window: SubmissionWindow, period: str) -> list[date]:
    year, month = split_period(period)
    last = calendar.monthrange(year, month)[1]
    return [day for d in range(1, last + 1) if window.is_open(day := date(year, month, d))]


def reminder_kind_on(window: SubmissionWindow, today: date, days_before_close: int) -> ReminderKind | None:
    """Which reminder today is for (None: the window is closed today)."""
    days = open_days(window, f"{today.year:04d}-{today.month:02d}")
    if today not in days:
        return None
    close = days[-1]
    return ReminderKind.CLOSING if (close - today).days <= days_before_close else ReminderKind.OPEN


def _takes_readings(meter: MeterFacts, today: date) -> bool:
    return not meter.closed and (meter.verified_until is None or meter.verified_until >= today)


def reminder_due(
    resident: ResidentFacts,
    *,
    today: date,
    period: str,
    window: SubmissionWindow,
    days_before_close: int,
    period_closed: bool,
    sent: Collection[Fact],
) -> ReminderDue | None:
    kind = reminder_kind_on(window, today, days_before_close)
    if kind is None or period_closed or not resident.reminders_on or (kind.value, period) in sent:
        return None
    if resident.busy:
        return None
    missing = sorted(
        (m for m in resident.meters if _takes_readings(m, today) and not m.handed_in),
        key=lambda m: (m.account_number, m.meter_id),
    )
    if not missing:
        return None
    return ReminderDue(resident.chat_id, period, kind, tuple(missing))


def verification_due(
    resident: ResidentFacts, *, today: date, sent: Collection[Fact]
) -> list[VerificationDue]:
    if not resident.reminders_on or resident.busy:
        return []
    due: list[VerificationDue] = []
    for meter in resident.meters:
        if meter.closed or meter.verified_until is None:
            continue
        days_left = (meter.verified_until - today).days
        if not 0 <= days_left <= VERIFICATION_DAYS[VerificationKind.DAYS_90]:
            continue
        thirty = days_left <= VERIFICATION_DAYS[VerificationKind.DAYS_30]
        kind = VerificationKind.DAYS_30 if thirty else VerificationKind.DAYS_90
        notice = VerificationDue(resident.chat_id, kind, meter, meter.verified_until, days_left)
        if notice.fact not in sent:
            due.append(notice)
    return due


def all_due(
    residents: Sequence[ResidentFacts],
    *,
    today: date,
    period: str,
    window: SubmissionWindow,
    days_before_close: int,
    period_closed: bool,
    sent: dict[int, set[Fact]],
) -> list[ReminderDue | VerificationDue]:
    """Everything due for these residents today, given each chat's sent facts."""
    due: list[ReminderDue | VerificationDue] = []
    for resident in residents:
        facts = sent.get(resident.chat_id, set())
        reminder = reminder_due(
            resident,
            today=today,
            period=period,
            window=window,
            days_before_close=days_before_close,
            period_closed=period_closed,
            sent=facts,
        )
        if reminder is not None:
            due.append(reminder)
        due.extend(verification_due(resident, today=today, sent=facts))
    return due
