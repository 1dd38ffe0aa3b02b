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
from dataclasses import dataclass
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


@dataclass(frozen=True)
class PublicSchema:
    """One published file: the envelope of `message`, as `mode` reads it (serialization: what we send;
    validation: what we accept), with `extra` for what the model cannot say."""

    file: str
    message: type[Message]
    mode: Literal["validation", "serialization"]
    title: str
    description: str
    extra: Callable[[dict[str, Any]], None] = lambda schema: None

    def generate(self) -> dict[str, Any]:
        schema = envelope_of(self.message).model_json_schema(mode=self.mode)
        self.extra(schema)
        return _finish(schema, file=self.file, title=self.title, description=self.description)


def _value_by_status(schema: dict[str, Any]) -> None:
    schema["$defs"]["BillingReading"]["allOf"] = VALUE_BY_STATUS


PUBLIC_SCHEMAS = (
    PublicSchema(
        "billing-reading.v1.json",
        BillingReading,
        "serialization",
        "BillingReading v1",
        f"A message on {BILLING_READINGS_V1} (key: account number): one accepted reading of a meter for "
        "a billing period, or the withdrawal of the reading that counted (status withdrawn, value null). "
        "The latest message per (period, meter_id) is the reading that counts; a replacement names the "
        "reading it replaces. Delivered at least once: deduplicate by message_id.",
        extra=_value_by_status,
    ),
    PublicSchema(
        "registry-record.v1.json",
        RegistryRecord,
        "validation",
        "RegistryRecord v1",
        f"A message on {BILLING_REGISTRY_V1} (key: account number): one account with ALL its meters as "
        "billing knows it. A meter the account had that a newer record no longer lists is closed. "
        "Sending the same content again changes nothing.",
    ),
    PublicSchema(
        "registry-record.v2.json",
        RegistryRecordV2,
        "validation",
        "RegistryRecord v2",
        f"A message on {BILLING_REGISTRY_V1} with envelope version 2: RegistryRecord v1 whose meters may "
        "also say the counter's integer and fraction digits, the meter it replaces and the new meter's "
        "initial value, and the people registered in the apartment (null: not given). v1 stays accepted.",
    ),
    PublicSchema(
        "balance-record.v1.json",
        BalanceRecord,
        "validation",
        "BalanceRecord v1",
        f"A message on {BILLING_BALANCES_V1} (key: account number): what the account owes as of a day "
        "(amount_due negative: paid in advance). A record with an older as_of than one already sent "
        "for the account changes nothing; the same record again changes nothing.",
    ),
)
SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {s.file: s.generate for s in PUBLIC_SCHEMAS}


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
