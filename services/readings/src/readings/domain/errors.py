"""Why a reading (or its withdrawal) is refused: one domain type per reason.

Rules raise these; the decide functions in `meter.py` map them to ReadingRejected /
ReadingWithdrawalRefused. Each value error carries the numbers a resident message needs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar, Literal

from meterbot_contracts.readings import ConfirmationCheck, RejectionReasonV2

WithdrawalRefusalReason = Literal["nothing_to_withdraw", "period_closed", "not_linked"]


class ReadingRefused(Exception):
    """Base of every reason a submitted reading is not accepted."""

    reason: ClassVar[RejectionReasonV2]

    def __init__(
        self,
        *,
        previous_value: Decimal | None = None,
        min_allowed: int | None = None,
        max_allowed: int | None = None,
    ) -> None:
        super().__init__(self.reason)
        self.previous_value = previous_value
        self.min_allowed = min_allowed
        self.max_allowed = max_allowed


class ChatNotLinked(ReadingRefused):
    reason = "not_linked"


class UnknownMeter(ReadingRefused):
    reason = "unknown_meter"


class MeterIsClosed(ReadingRefused):
    reason = "meter_closed"


class VerificationExpired(ReadingRefused):
    reason = "verification_expired"

    def __init__(self, verified_until: date) -> None:
        super().__init__()
        self.verified_until = verified_until


class OutsideWindow(ReadingRefused):
    reason = "outside_window"


class PeriodIsClosed(ReadingRefused):
    reason = "period_closed"


class NotANumber(ReadingRefused):
    reason = "not_a_number"


class NotAnInteger(ReadingRefused):
    reason = "not_an_integer"


class ReadingBelowPrevious(ReadingRefused):
    reason = "below_previous"


class ReadingAboveMaxDelta(ReadingRefused):
    reason = "above_max_delta"


class TooManyDigits(ReadingRefused):
    """The value has more integer digits than the meter's counter (MeterInfo.digits)."""

    reason = "too_many_digits"

    def __init__(self, digits: int, *, previous_value: Decimal | None, min_allowed: int) -> None:
        super().__init__(previous_value=previous_value, min_allowed=min_allowed, max_allowed=10**digits - 1)
        self.digits = digits


class MeterWasReplaced(ReadingRefused):
    """The meter was replaced by another (MeterReplaced) while the reading was on its way."""

    reason = "meter_replaced"


class ConfirmationNeeded(Exception):
    """Not a refusal: the value is accepted only once the resident confirms it (a rollover across
    the counter's zero, or a consumption above what is expected: `expected` is the limit)."""

    def __init__(
        self,
        check: ConfirmationCheck,
        *,
        value: int,
        previous_value: Decimal | None,
        consumption: Decimal,
        expected: Decimal | None = None,
        rollover: bool = False,
    ) -> None:
        super().__init__(check)
        self.check: ConfirmationCheck = check
        self.value, self.previous_value, self.consumption = value, previous_value, consumption
        self.expected, self.rollover = expected, rollover


class WithdrawalRefused(Exception):
    """Base of every reason a withdrawal is refused."""

    reason: ClassVar[WithdrawalRefusalReason]

    def __init__(self) -> None:
        super().__init__(self.reason)


class NothingToWithdraw(WithdrawalRefused):
    reason = "nothing_to_withdraw"


class WithdrawalPeriodClosed(WithdrawalRefused):
    reason = "period_closed"


class WithdrawalNotLinked(WithdrawalRefused):
    reason = "not_linked"
