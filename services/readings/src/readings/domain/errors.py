"""Why a reading (or its withdrawal) is refused: one domain type per reason.

Rules raise these; the decide functions in `meter.py` map them to ReadingRejected /
ReadingWithdrawalRefused. Each value error carries the numbers a resident message needs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar, Literal

from meterbot_contracts.readings import RejectionReason

WithdrawalRefusalReason = Literal["nothing_to_withdraw", "period_closed", "not_linked"]


class ReadingRefused(Exception):
    """Base of every reason a submitted reading is not accepted."""

    reason: ClassVar[RejectionReason]

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
