"""The committed JSON Schemas are the generated ones, describe what is really sent, and the AsyncAPI
document points at them with valid examples."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
import yaml
from billing_export.domain import withdrawn_to_billing
from billing_export.public_schemas import SCHEMAS, render
from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError
from meterbot_contracts import new_envelope
from meterbot_contracts.billing import (
    BillingReading,
    RegistryMeter,
    RegistryMeterV2,
    RegistryRecord,
    RegistryRecordV2,
)
from meterbot_contracts.readings import MeterType
from meterbot_contracts.topics import BILLING_BALANCES_V1, BILLING_READINGS_V1, BILLING_REGISTRY_V1

pytestmark = pytest.mark.unit
DOCS = Path(__file__).resolve().parents[4] / "docs"


def validator(name: str) -> Draft7Validator:
    return Draft7Validator(json.loads((DOCS / "schemas" / name).read_text(encoding="utf-8")))


def wire(message: Any) -> Any:
    """The envelope exactly as it travels (bytes on the topic, parsed back as plain JSON)."""
    return json.loads(new_envelope(message, correlation_id="c-1").to_bytes())


READING = BillingReading(
    reading_id=uuid4(),
    status="accepted",
    account_number="1234567",
    meter_id="HW-1",
    meter_type=MeterType.HOT_WATER,
    value=Decimal(251),
    period="2025-03",
    submitted_at=datetime(2025, 3, 10, 9, tzinfo=UTC),
)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_committed_schema_is_the_generated_one(name: str) -> None:
    committed = (DOCS / "schemas" / name).read_text(encoding="utf-8")
    assert committed == render(SCHEMAS[name]()), (
        f"docs/schemas/{name} is stale: run .venv/bin/python -m billing_export.public_schemas docs/schemas"
    )
    Draft7Validator.check_schema(json.loads(committed))


def test_published_billing_readings_validate() -> None:
    schema = validator("billing-reading.v1.json")
    schema.validate(wire(READING))
    schema.validate(wire(withdrawn_to_billing(READING)))
    for broken in (
        {**wire(READING), "extra": 1},
        {**wire(READING), "type": "ReadingAccepted"},
        {**wire(READING), "payload": {**wire(READING)["payload"], "period": "2025-3"}},
        {**wire(READING), "payload": {**wire(READING)["payload"], "status": "pending"}},
    ):
        with pytest.raises(ValidationError):
            schema.validate(broken)


def test_registry_records_validate() -> None:
    meter = RegistryMeter(meter_id="HW-1", meter_type=MeterType.HOT_WATER, last_value=Decimal("250.550"))
    validator("registry-record.v1.json").validate(
        wire(RegistryRecord(account_number="1234567", surname="Иванов", meters=[meter]))
    )


def test_asyncapi_describes_both_topics_with_valid_examples() -> None:
    doc = yaml.safe_load((DOCS / "asyncapi.yaml").read_text(encoding="utf-8"))
    assert doc["asyncapi"].startswith("3.")
    addresses = {channel["address"] for channel in doc["channels"].values()}
    assert addresses == {BILLING_READINGS_V1, BILLING_REGISTRY_V1, BILLING_BALANCES_V1}
    for message in doc["components"]["messages"].values():
        ref = message["payload"]["schema"]["$ref"]
        schema = validator(Path(ref).name)
        assert (DOCS / ref).is_file()
        assert message["examples"]
        for example in message["examples"]:
            schema.validate(example["payload"])


def test_registry_records_v2_validate() -> None:
    meter = RegistryMeterV2(
        meter_id="HW-2", meter_type=MeterType.HOT_WATER, digits=5, replaces_meter_id="HW-1"
    )
    validator("registry-record.v2.json").validate(
        wire(RegistryRecordV2(account_number="1234567", surname="Иванов", meters=[meter]))
    )
