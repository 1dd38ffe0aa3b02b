"""The envelope and the registry: the wire contract every topic shares (DESIGN §3)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from meterbot_contracts import Envelope, MessageRegistry, UnknownMessageType, new_envelope
from meterbot_contracts.all import default_registry
from meterbot_contracts.readings import ReadingSubmitted
from meterbot_contracts.registry import Message
from meterbot_contracts.topics import ALL_TOPICS, dlq_topic, events_topic
from pydantic import ValidationError

pytestmark = pytest.mark.unit


def test_envelope_has_the_fixed_fields_and_rfc3339_utc_time() -> None:
    msk = timezone(timedelta(hours=3))
    env = new_envelope(
        ReadingSubmitted(chat_id=7, account_number="100", meter_id="m1", raw_value="251"),
        correlation_id="corr-1",
        occurred_at=datetime(2026, 11, 1, 12, 0, tzinfo=msk),
    )
    wire = json.loads(env.to_bytes())
    assert set(wire) == {
        "message_id",
        "type",
        "version",
        "occurred_at",
        "correlation_id",
        "causation_id",
        "payload",
    }
    assert wire["occurred_at"] == "2026-11-01T09:00:00Z"
    assert wire["type"] == "ReadingSubmitted" and wire["version"] == 1
    assert Envelope.from_bytes(env.to_bytes()) == env


def test_registry_turns_an_envelope_back_into_its_typed_message() -> None:
    msg = ReadingSubmitted(chat_id=7, account_number="100", meter_id="m1", raw_value="251")
    assert default_registry.parse(new_envelope(msg)) == msg


def test_unknown_type_or_version_is_reported() -> None:
    env = new_envelope(ReadingSubmitted(chat_id=7, account_number="1", meter_id="m", raw_value="1"))
    with pytest.raises(UnknownMessageType):
        default_registry.parse(env.model_copy(update={"version": 99}))


def test_a_payload_that_breaks_the_contract_is_rejected() -> None:
    env = new_envelope(ReadingSubmitted(chat_id=7, account_number="1", meter_id="m", raw_value="1"))
    with pytest.raises(ValidationError):
        default_registry.parse(env.model_copy(update={"payload": {"chat_id": "seven"}}))


def test_envelope_without_timezone_is_invalid() -> None:
    env = json.loads(
        new_envelope(ReadingSubmitted(chat_id=1, account_number="1", meter_id="m", raw_value="1")).to_bytes()
    )
    env["occurred_at"] = "2026-11-01T09:00:00"
    with pytest.raises(ValidationError):
        Envelope.model_validate(env)


def test_a_new_version_is_a_new_class_and_the_same_key_cannot_be_taken_twice() -> None:
    registry = MessageRegistry()

    @registry.register
    class Thing(Message):
        TYPE = "Thing"
        a: int

    @registry.register
    class ThingV2(Message):
        TYPE = "Thing"
        VERSION = 2
        a: int
        b: int

    class Impostor(Message):
        TYPE = "Thing"
        a: str

    assert registry.known() == [("Thing", 1), ("Thing", 2)]
    with pytest.raises(ValueError, match="registered twice"):
        registry.register(Impostor)


def test_topic_names_are_the_fixed_ones() -> None:
    assert events_topic("billing-export") == "meterbot.billing-export.events"
    assert dlq_topic("meterbot.readings.commands") == "meterbot.readings.commands.dlq"
    assert "meterbot.billing.readings.v1" in ALL_TOPICS
    assert "meterbot.billing.registry.v1" in ALL_TOPICS
