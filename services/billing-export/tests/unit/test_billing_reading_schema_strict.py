"""The public billing JSON Schema is as strict as the BillingReading contract: an accepted reading
always carries its value, a withdrawal never does."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError
from meterbot_contracts import new_envelope
from meterbot_contracts.billing import BillingReading
from meterbot_contracts.readings import MeterType

pytestmark = pytest.mark.unit
SCHEMA = Path(__file__).resolve().parents[4] / "docs" / "schemas" / "billing-reading.v1.json"
FIELDS: dict[str, Any] = {
    "reading_id": uuid4(),
    "account_number": "1234567",
    "meter_id": "HW-1",
    "meter_type": MeterType.HOT_WATER,
    "period": "2025-03",
    "submitted_at": datetime(2025, 3, 10, 9, tzinfo=UTC),
}


def wire(status: str, value: str | None) -> Any:
    reading = BillingReading(**FIELDS, status="accepted", value=Decimal(251))
    message = json.loads(new_envelope(reading, correlation_id="c-1").to_bytes())
    message["payload"] |= {"status": status, "value": value}
    return message


@pytest.mark.parametrize(("status", "value"), [("accepted", None), ("withdrawn", "251")])
def test_contract_and_schema_both_refuse(status: str, value: str | None) -> None:
    with pytest.raises(ValueError, match="accepted reading has a value"):
        BillingReading(**FIELDS, status=status, value=None if value is None else Decimal(value))
    with pytest.raises(ValidationError):
        Draft7Validator(json.loads(SCHEMA.read_text(encoding="utf-8"))).validate(wire(status, value))


@pytest.mark.parametrize(("status", "value"), [("accepted", "251"), ("withdrawn", None)])
def test_contract_and_schema_both_accept(status: str, value: str | None) -> None:
    BillingReading(**FIELDS, status=status, value=None if value is None else Decimal(value))
    Draft7Validator(json.loads(SCHEMA.read_text(encoding="utf-8"))).validate(wire(status, value))
