"""JSON Schemas of the public billing topics, generated from the contract models (docs/schemas/):

    billing-reading.v1.json  envelope + BillingReading on meterbot.billing.readings.v1 (what we send)
    registry-record.v1.json  envelope + RegistryRecord on meterbot.billing.registry.v1 (what we accept)
    registry-record.v2.json  envelope + RegistryRecord v2 there: meters with the optional columns
    balance-record.v1.json   envelope + BalanceRecord on meterbot.billing.balances.v1 (what we accept)

Regenerate after a contract change (a unit test fails until the committed files match):

    .venv/bin/python -m billing_export.public_schemas docs/schemas"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from meterbot_contracts import Envelope, Message
from meterbot_contracts.billing import BalanceRecord, BillingReading, RegistryRecord, RegistryRecordV2
from meterbot_contracts.period import PERIOD_PATTERN
from meterbot_contracts.topics import BILLING_BALANCES_V1, BILLING_READINGS_V1, BILLING_REGISTRY_V1
from pydantic import BaseModel, create_model

# draft-07: the JSON Schema version every AsyncAPI 3 tool reads (the generated keywords are all draft-07)
JSON_SCHEMA_DIALECT = "http://json-schema.org/draft-07/schema#"
PERIOD = {"type": "string", "pattern": PERIOD_PATTERN, "description": "calendar month YYYY-MM"}
OCCURRED_AT = {"type": "string", "format": "date-time", "description": "RFC 3339, UTC (Z)"}


def envelope_of(message: type[Message]) -> type[BaseModel]:
    """The envelope with its payload narrowed to one message type (for documentation only)."""
    return create_model(
        f"{message.TYPE}Envelope",
        __base__=Envelope,
        type=(Literal[message.TYPE], ...),
        version=(Literal[message.VERSION], ...),
        payload=(message, ...),
    )


def _finish(schema: dict[str, Any], *, file: str, title: str, description: str) -> dict[str, Any]:
    """What the models cannot say: the dialect, id, period format and the envelope's time format."""
    schema["properties"]["occurred_at"] = {**schema["properties"]["occurred_at"], **OCCURRED_AT}
    for definition in schema["$defs"].values():
        if "period" in definition.get("properties", {}):
            definition["properties"]["period"] = {"title": "Period", **PERIOD}
    head = {"$schema": JSON_SCHEMA_DIALECT, "$id": file, "title": title, "description": description}
    return head | {k: v for k, v in schema.items() if k not in ("title", "description")}


# BillingReading's own rule (its validator), which pydantic cannot put into the generated schema.
VALUE_BY_STATUS = [
    {
        "if": {"properties": {"status": {"const": status}}},
        "then": {"properties": {"value": {"type": kind}}},
    }
    for status, kind in (("accepted", "string"), ("withdrawn", "null"))
]


def billing_reading_schema() -> dict[str, Any]:
    schema = envelope_of(BillingReading).model_json_schema(mode="serialization")
    schema["$defs"]["BillingReading"]["allOf"] = VALUE_BY_STATUS
    return _finish(
        schema,
        file="billing-reading.v1.json",
        title="BillingReading v1",
        description=(
            f"A message on {BILLING_READINGS_V1} (key: account number): one accepted reading of a meter for "
            "a billing period, or the withdrawal of the reading that counted (status withdrawn, value null). "
            "The latest message per (period, meter_id) is the reading that counts; a replacement names the "
            "reading it replaces. Delivered at least once: deduplicate by message_id."
        ),
    )


def registry_record_schema() -> dict[str, Any]:
    return _finish(
        envelope_of(RegistryRecord).model_json_schema(mode="validation"),
        file="registry-record.v1.json",
        title="RegistryRecord v1",
        description=(
            f"A message on {BILLING_REGISTRY_V1} (key: account number): one account with ALL its meters as "
            "billing knows it. A meter the account had that a newer record no longer lists is closed. "
            "Sending the same content again changes nothing."
        ),
    )


def registry_record_v2_schema() -> dict[str, Any]:
    return _finish(
        envelope_of(RegistryRecordV2).model_json_schema(mode="validation"),
        file="registry-record.v2.json",
        title="RegistryRecord v2",
        description=(
            f"A message on {BILLING_REGISTRY_V1} with envelope version 2: RegistryRecord v1 whose meters may "
            "also say the counter's integer and fraction digits, the meter it replaces and the new meter's "
            "initial value, and the people registered in the apartment (null: not given). v1 stays accepted."
        ),
    )


def balance_record_schema() -> dict[str, Any]:
    return _finish(
        envelope_of(BalanceRecord).model_json_schema(mode="validation"),
        file="balance-record.v1.json",
        title="BalanceRecord v1",
        description=(
            f"A message on {BILLING_BALANCES_V1} (key: account number): what the account owes as of a day "
            "(amount_due negative: paid in advance). A record with an older as_of than one already sent "
            "for the account changes nothing; the same record again changes nothing."
        ),
    )


SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "billing-reading.v1.json": billing_reading_schema,
    "registry-record.v1.json": registry_record_schema,
    "registry-record.v2.json": registry_record_v2_schema,
    "balance-record.v1.json": balance_record_schema,
}


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> None:
    target = Path((argv if argv is not None else sys.argv[1:] or ["docs/schemas"])[0])
    target.mkdir(parents=True, exist_ok=True)
    for name, generate in SCHEMAS.items():
        (target / name).write_text(render(generate()), encoding="utf-8")
        print(target / name)


if __name__ == "__main__":
    main()
