"""METERBOT_KAFKA_SECURITY_PROTOCOL / SASL / CA settings reach every Kafka client the services make."""

from __future__ import annotations

import ssl
from typing import Any

import certifi
import pytest
from faststream.kafka.security import parse_security
from meterbot_platform.broker import make_broker, make_producer
from meterbot_platform.consumer_lag import LagProbe
from meterbot_platform.kafka_security import broker_security, client_options
from meterbot_platform.settings import KafkaSettings
from pydantic import ValidationError

pytestmark = pytest.mark.unit

SASL_SSL = {
    "METERBOT_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
    "METERBOT_KAFKA_SASL_MECHANISM": "SCRAM-SHA-256",
    "METERBOT_KAFKA_SASL_USERNAME": "meterbot",
    "METERBOT_KAFKA_SASL_PASSWORD": "s3cret",
    "METERBOT_KAFKA_SSL_CAFILE": certifi.where(),
}


def settings_from(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> KafkaSettings:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return KafkaSettings()


def test_plaintext_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_from(monkeypatch, {})
    assert client_options(settings) == {"security_protocol": "PLAINTEXT", "ssl_context": None}
    assert broker_security(settings) is None


def test_sasl_ssl_settings_map_to_client_kwargs(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_from(monkeypatch, SASL_SSL)
    options = client_options(settings)
    context = options.pop("ssl_context")
    assert options == {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-256",
        "sasl_plain_username": "meterbot",
        "sasl_plain_password": "s3cret",
    }
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert "s3cret" not in repr(settings)  # SecretStr: never in a log line


@pytest.mark.parametrize(
    "env",
    [
        {"METERBOT_KAFKA_SECURITY_PROTOCOL": "SSL", "METERBOT_KAFKA_SSL_CAFILE": certifi.where()},
        {
            "METERBOT_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "METERBOT_KAFKA_SASL_MECHANISM": "PLAIN",
            "METERBOT_KAFKA_SASL_USERNAME": "u",
            "METERBOT_KAFKA_SASL_PASSWORD": "p",
        },
        SASL_SSL,
        {**SASL_SSL, "METERBOT_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512"},
    ],
)
def test_faststream_broker_gets_the_same_options_as_plain_clients(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    settings = settings_from(monkeypatch, env)

    def without_context(options: dict[str, Any]) -> dict[str, Any]:
        assert (options["ssl_context"] is None) == (
            not env["METERBOT_KAFKA_SECURITY_PROTOCOL"].endswith("SSL")
        )
        return {k: v for k, v in options.items() if k != "ssl_context"}

    expected = without_context(client_options(settings))
    assert without_context(parse_security(broker_security(settings))) == expected


async def test_every_client_gets_the_security_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_from(monkeypatch, SASL_SSL)
    broker = make_broker(settings, "readings")  # its consumers and publishers
    kwargs = broker._connection_kwargs
    assert (kwargs["security_protocol"], kwargs["sasl_mechanism"]) == ("SASL_SSL", "SCRAM-SHA-256")
    assert kwargs["sasl_plain_password"] == "s3cret"
    producer = make_producer(settings, "outbox")
    lag = LagProbe(settings)
    for client in (producer.client, lag.admin._client, lag.probe._client):
        assert client._security_protocol == "SASL_SSL"
        assert client._sasl_mechanism == "SCRAM-SHA-256"
        assert client._sasl_plain_password == "s3cret"
        assert isinstance(client._ssl_context, ssl.SSLContext)


def test_sasl_without_credentials_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match="METERBOT_KAFKA_SASL_USERNAME"):
        settings_from(monkeypatch, {"METERBOT_KAFKA_SECURITY_PROTOCOL": "SASL_SSL"})
