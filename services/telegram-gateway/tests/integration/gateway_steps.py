"""Steps the flow tests share: a registered resident with linked accounts and meters, the services'
answers played by the ServiceDouble."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

from meterbot_botapi import ChatMessage
from meterbot_contracts.accounts import AccountLinked, AccountLinkRequested
from meterbot_contracts.period import period_of
from meterbot_contracts.readings import (
    MeterRegistered,
    MeterType,
    ReadingAccepted,
    ReadingAcceptedV2,
    ReadingRejected,
    ReadingRejectedV2,
    ReadingSubmitted,
)
from meterbot_testing.resident import ResidentDriver
from meterbot_testing.services import ServiceDouble

from .gateway_harness import GatewayHarness


async def link(
    resident: ResidentDriver, services: ServiceDouble, number: str, surname: str = "Иванов", address: str = ""
) -> ChatMessage:
    """«Добавить ЛС» with the accounts service agreeing; the bot's «закреплен» reply."""
    return await services.serve(
        resident.add_account(number, surname),
        AccountLinkRequested,
        lambda c: AccountLinked(chat_id=c.chat_id, account_number=c.account_number, address=address),
        chat_id=resident.chat_id,
    )


async def add_meter(
    gateway: GatewayHarness,
    services: ServiceDouble,
    account: str,
    meter_id: str,
    *,
    meter_type: MeterType = MeterType.COLD_WATER,
    last_value: Decimal | None = Decimal("250.550"),
    verified_until: date | None = date(2031, 1, 1),
) -> None:
    """The registry lists a meter for the account (readings' MeterRegistered), in the read model."""
    await services.publish(
        MeterRegistered(
            meter_id=meter_id,
            account_number=account,
            meter_type=meter_type,
            serial_number=f"SN-{meter_id}",
            verified_until=verified_until,
            last_value=last_value,
            last_value_date=date(2026, 1, 31) if last_value is not None else None,
        )
    )
    await gateway.wait_for("SELECT true FROM rm_meters WHERE meter_id = $1", meter_id)


def this_period() -> str:
    return period_of(datetime.now(UTC), ZoneInfo("Europe/Moscow"))


def accepted_reading(
    c: ReadingSubmitted, *, period: str | None = None, previous_value: Decimal | None = None, **v2: Any
) -> ReadingAccepted:
    """readings accepting `c` for a cold water meter (this period unless named); a ReadingAcceptedV2
    when `v2` names its fields."""
    fields: dict[str, Any] = {
        "reading_id": uuid4(),
        "chat_id": c.chat_id,
        "account_number": c.account_number,
        "meter_id": c.meter_id,
        "meter_type": MeterType.COLD_WATER,
        "value": Decimal(c.raw_value),
        "previous_value": previous_value,
        "period": period or this_period(),
        "submitted_at": datetime.now(UTC),
    }
    return ReadingAcceptedV2(**fields, **v2) if v2 else ReadingAccepted(**fields)


def rejected(c: ReadingSubmitted, reason: str, *, v2: bool = False, **fields: Any) -> ReadingRejected:
    """readings refusing `c` for `reason` (a ReadingRejectedV2 with `v2`), with the reason's `fields`."""
    kind = ReadingRejectedV2 if v2 else ReadingRejected
    return kind(**answering(c), reason=reason, **fields)


def answering(c: ReadingSubmitted) -> dict[str, Any]:
    """What every answer of readings to `c` that is not an acceptance repeats of it."""
    return {
        "chat_id": c.chat_id,
        "account_number": c.account_number,
        "meter_id": c.meter_id,
        "raw_value": c.raw_value,
    }
