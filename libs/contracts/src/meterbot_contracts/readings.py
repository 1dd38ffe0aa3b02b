"""readings: meters and the readings residents hand in."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import Field

from meterbot_contracts.fields import RAW_VALUE_MAX, AccountNumberField, MeterIdField
from meterbot_contracts.period import Period as Period  # noqa: PLC0414 - explicit re-export (mypy strict)
from meterbot_contracts.registry import Message, contract


class MeterType(StrEnum):
    COLD_WATER = "cold_water"
    HOT_WATER = "hot_water"
    HEAT = "heat"
    ELECTRICITY = "electricity"
    ELECTRICITY_DAY = "electricity_day"
    ELECTRICITY_NIGHT = "electricity_night"
    GAS = "gas"


RejectionReason = Literal[
    "not_linked",
    "unknown_meter",
    "meter_closed",
    "verification_expired",
    "below_previous",
    "above_max_delta",
    "not_a_number",
    "not_an_integer",
    "outside_window",
    "period_closed",
]


@contract
class ReadingSubmitted(Message):
    """Command: a resident typed a value for a meter. The raw text is validated by readings."""

    TYPE = "ReadingSubmitted"
    chat_id: int
    account_number: AccountNumberField
    meter_id: MeterIdField
    raw_value: str = Field(max_length=RAW_VALUE_MAX)


@contract
class ReadingWithdrawalRequested(Message):
    """Command: «withdraw my last reading» for a meter, while its period is open."""

    TYPE = "ReadingWithdrawalRequested"
    chat_id: int
    account_number: str
    meter_id: str


@contract
class MeterRegistered(Message):
    """A meter appeared in (or changed in) the billing registry."""

    TYPE = "MeterRegistered"
    meter_id: str
    account_number: str
    meter_type: MeterType
    serial_number: str
    verified_until: date | None
    last_value: Decimal | None
    last_value_date: date | None


@contract
class MeterClosed(Message):
    """The registry no longer lists the meter for its account."""

    TYPE = "MeterClosed"
    meter_id: str
    account_number: str


@contract
class ReadingAccepted(Message):
    TYPE = "ReadingAccepted"
    reading_id: UUID
    chat_id: int
    account_number: str
    meter_id: str
    meter_type: MeterType
    value: Decimal
    previous_value: Decimal | None
    period: Period
    submitted_at: datetime
    replaces_reading_id: UUID | None = None


@contract
class ReadingRejected(Message):
    TYPE = "ReadingRejected"
    chat_id: int
    account_number: str
    meter_id: str
    raw_value: str
    reason: RejectionReason
    previous_value: Decimal | None = None
    min_allowed: Decimal | None = None
    max_allowed: Decimal | None = None
    verified_until: date | None = None


@contract
class ReadingWithdrawn(Message):
    TYPE = "ReadingWithdrawn"
    reading_id: UUID
    chat_id: int
    account_number: str
    meter_id: str
    period: Period


@contract
class ReadingReconciled(Message):
    """Billing closed the period before a change of this meter's reading reached it (billing-export's
    LateReadingRefused): the change is undone and the reading billing counts is the meter's reading
    for the period again (counted_reading_id None: none). `chat_id` made the refused change."""

    TYPE = "ReadingReconciled"
    meter_id: str
    account_number: str
    meter_type: MeterType
    period: Period
    chat_id: int
    refused_reading_id: UUID
    refused: Literal["accepted", "withdrawn"]
    refused_value: Decimal | None = None
    counted_reading_id: UUID | None = None
    counted_value: Decimal | None = None
    counted_previous_value: Decimal | None = None
    counted_chat_id: int | None = None
    counted_submitted_at: datetime | None = None


@contract
class ReadingWithdrawalRefused(Message):
    TYPE = "ReadingWithdrawalRefused"
    chat_id: int
    account_number: str
    meter_id: str
    reason: Literal["nothing_to_withdraw", "period_closed", "not_linked"]


# --- issue 14: meter lifecycle and smarter checks (new versions; the ones above stay as they are) ---

RejectionReasonV2 = Literal[
    RejectionReason,
    "too_many_digits",  # more integer digits than the counter has (MeterRegisteredV2.digits)
    "meter_replaced",  # the meter was replaced (MeterReplaced) while the reading was on its way
]
# What a resident is asked to confirm before readings accepts a value.
ConfirmationCheck = Literal["rollover", "anomaly"]


@contract
class MeterRegisteredV2(MeterRegistered):
    """MeterRegistered with what the registry's optional columns say (None: not given). Sent only
    when one of them is given; otherwise MeterRegistered v1 as before."""

    VERSION = 2
    digits: int | None = Field(default=None, ge=1, le=12)  # integer digits of the counter
    fraction_digits: int | None = Field(default=None, ge=0, le=6)
    replaces_meter_id: str | None = None
    initial_value: Decimal | None = Field(default=None, ge=0)
    residents: int | None = Field(default=None, ge=0)  # people registered in the apartment


@contract
class ReadingSubmittedV2(ReadingSubmitted):
    """ReadingSubmitted with the resident's answers to what readings asked (ReadingConfirmationAsked):
    `rollover` «Счётчик перешёл через ноль?» Да (yes) / Нет (no); `anomaly_confirmed` after the
    «higher than expected» warning."""

    VERSION = 2
    rollover: Literal["yes", "no"] | None = None
    anomaly_confirmed: bool = False


@contract
class ReadingConfirmationAsked(Message):
    """Answer to a ReadingSubmitted: the value is not accepted yet, the resident is asked first.
    `check` says what: the counter passed zero (rollover), or the consumption is above what is
    expected (anomaly, `expected` the limit it is above). Like a refusal, it changes no state."""

    TYPE = "ReadingConfirmationAsked"
    chat_id: int
    account_number: str
    meter_id: str
    raw_value: str
    check: ConfirmationCheck
    value: Decimal
    previous_value: Decimal | None
    consumption: Decimal
    expected: Decimal | None = None
    rollover: bool = False  # the consumption counts the counter passing zero (already confirmed)


@contract
class ReadingAcceptedV2(ReadingAccepted):
    """ReadingAccepted with how it was accepted: across the counter's zero (`rollover`, the true
    `consumption` = value + 10^digits − previous), and/or confirmed by the resident after an anomaly
    warning. Sent only when one of them holds; otherwise ReadingAccepted v1 as before."""

    VERSION = 2
    rollover: bool = False
    consumption: Decimal | None = None
    confirmed_after_warning: bool = False


@contract
class ReadingRejectedV2(ReadingRejected):
    """ReadingRejected for the reasons v1 does not know (too_many_digits, meter_replaced)."""

    VERSION = 2
    reason: RejectionReasonV2  # type: ignore[assignment]  # a wider set than v1's: a new version
    digits: int | None = None
    pair_meter_id: str | None = None  # T1/T2 entered together: the other register, not kept either


@contract
class MeterReplaced(Message):
    """The registry lists a new meter that replaces this one (its `replaces_meter_id`): this meter is
    closed, its history kept; the new one opens with `initial_value` as its previous value. Sent once,
    on the old meter's stream; the residents linked to `account_number` are told."""

    TYPE = "MeterReplaced"
    meter_id: str
    account_number: str
    meter_type: MeterType
    replaced_by: str
    replaced_by_type: MeterType
    initial_value: Decimal | None = None


@contract
class DayNightReadingSubmitted(ReadingSubmittedV2):
    """Command: T1 (day, `meter_id` / `raw_value`) and T2 (night) of one two-tariff electricity meter
    (electricity_day and electricity_night meters with the same serial number), recorded together:
    both ReadingAccepted (one on each meter's stream, same correlation id) or neither (one
    ReadingRejectedV2 naming the refused register, `pair_meter_id` the other). The answers to
    readings' questions apply to both registers."""

    TYPE = "DayNightReadingSubmitted"
    VERSION = 1
    night_meter_id: MeterIdField
    night_raw_value: str = Field(max_length=RAW_VALUE_MAX)


PhotoRefusalReason = Literal["not_linked", "nothing_to_attach_to", "period_closed", "too_large"]
SHA256_HEX = r"^[0-9a-f]{64}$"


@contract
class ReadingPhotoSubmitted(Message):
    """Command: a photo as evidence for the meter's reading of the current period (issue 14 item 6).
    The gateway downloaded it: `file_id` is Telegram's, `sha256` and `size` are of the bytes it keeps."""

    TYPE = "ReadingPhotoSubmitted"
    chat_id: int
    account_number: AccountNumberField
    meter_id: MeterIdField
    file_id: str = Field(min_length=1, max_length=256)
    sha256: str = Field(pattern=SHA256_HEX)
    size: int = Field(ge=0)


@contract
class ReadingPhotoAttached(Message):
    """The photo is attached to the reading that counts for the period (`reading_id`)."""

    TYPE = "ReadingPhotoAttached"
    reading_id: UUID
    chat_id: int
    account_number: str
    meter_id: str
    period: Period
    file_id: str
    sha256: str
    size: int


@contract
class ReadingPhotoRefused(Message):
    """The photo has nothing to attach to (no reading this period), or cannot be attached."""

    TYPE = "ReadingPhotoRefused"
    chat_id: int
    account_number: str
    meter_id: str
    reason: PhotoRefusalReason
