"""billing: the public topics billing systems read (readings) and write (registry)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, Field, model_validator

from meterbot_contracts.fields import (
    ADDRESS_MAX,
    SERIAL_NUMBER_MAX,
    AccountNumberField,
    MeterIdField,
    RegistryText,
    SurnameField,
    without_control_characters,
)
from meterbot_contracts.period import Period
from meterbot_contracts.readings import MeterType
from meterbot_contracts.registry import Message, contract


class RegistryMeter(Message):
    TYPE = "RegistryMeter"
    meter_id: Annotated[MeterIdField, AfterValidator(without_control_characters)]
    meter_type: MeterType
    serial_number: RegistryText = Field(default="", max_length=SERIAL_NUMBER_MAX)
    verified_until: date | None = None
    last_value: Decimal | None = Field(default=None, ge=0)
    last_value_date: date | None = None


@contract
class RegistryRecord(Message):
    """One account with all its meters, as billing knows it (topic meterbot.billing.registry.v1)."""

    TYPE = "RegistryRecord"
    account_number: Annotated[AccountNumberField, AfterValidator(without_control_characters)]
    surname: Annotated[SurnameField, AfterValidator(without_control_characters)]
    address: RegistryText = Field(default="", max_length=ADDRESS_MAX)
    meters: list[RegistryMeter] = Field(default_factory=list)


@contract
class BillingReading(Message):
    """One accepted reading, or its withdrawal, for billing (topic meterbot.billing.readings.v1)."""

    TYPE = "BillingReading"
    reading_id: UUID
    status: Literal["accepted", "withdrawn"]
    account_number: str
    meter_id: str
    meter_type: MeterType
    value: Decimal | None
    period: Period
    submitted_at: datetime
    replaces_reading_id: UUID | None = None

    @model_validator(mode="after")
    def _value_matches_status(self) -> BillingReading:
        # what billing relies on: an accepted reading always has its value, a withdrawal never has one
        if (self.status == "accepted") != (self.value is not None):
            raise ValueError("an accepted reading has a value, a withdrawn one has none")
        return self


@contract
class PeriodClosed(Message):
    """billing-export exported a period: readings for it are final."""

    TYPE = "PeriodClosed"
    period: Period
    closed_at: datetime
    readings_count: int = Field(ge=0)


@contract
class LateReadingRefused(Message):
    """A reading change that reached billing-export after its period was closed: readings accepted it
    before it learnt of PeriodClosed. It is not billed; `counted_*` name the reading billing counts
    for the meter in that period (none: no reading), so readings can put its state right and the
    resident is told (topic meterbot.billing-export.events)."""

    TYPE = "LateReadingRefused"
    reading_id: UUID
    refused: Literal["accepted", "withdrawn"]  # which change of that reading was refused
    chat_id: int
    account_number: str
    meter_id: str
    period: Period
    value: Decimal | None = None  # of a refused accepted reading
    closed_at: datetime
    counted_reading_id: UUID | None = None
    counted_value: Decimal | None = None


# --- issue 14: the registry's optional columns (a new version; v1 stays valid and accepted) ---


class RegistryMeterV2(RegistryMeter):
    """RegistryMeter with the optional columns (None: not given)."""

    TYPE = "RegistryMeter"
    VERSION = 2
    digits: int | None = Field(default=None, ge=1, le=12)
    fraction_digits: int | None = Field(default=None, ge=0, le=6)
    replaces_meter_id: Annotated[MeterIdField, AfterValidator(without_control_characters)] | None = None
    initial_value: Decimal | None = Field(default=None, ge=0)
    residents: int | None = Field(default=None, ge=0)


@contract
class RegistryRecordV2(RegistryRecord):
    """RegistryRecord whose meters may carry the optional columns (meterbot.billing.registry.v1:
    the topic's name stays, the envelope says version 2). Billing systems that send v1 go on as before."""

    VERSION = 2
    meters: list[RegistryMeterV2] = Field(default_factory=list)  # type: ignore[assignment]


CURRENCY_PATTERN = r"^[A-Z]{3}$"


@contract
class BalanceRecord(Message):
    """What an account owes as of a day, as billing computed it (topic meterbot.billing.balances.v1,
    inbound, key: account number). A record with an older `as_of` than one already known never
    replaces it; the same record again changes nothing."""

    TYPE = "BalanceRecord"
    account_number: Annotated[AccountNumberField, AfterValidator(without_control_characters)]
    amount_due: Decimal = Field(max_digits=14, decimal_places=2)  # negative: paid in advance
    currency: str = Field(default="RUB", pattern=CURRENCY_PATTERN)  # ISO 4217
    as_of: date
    due_date: date | None = None
