"""METERBOT_KAFKA_SECURITY_PROTOCOL / SASL / CA settings -> what each Kafka client takes. One mapping
for every client: FastStream's broker (consumers and commands), the bulk producer, the admin client
(topic plan), the lag monitor's admin and probe consumer."""

from __future__ import annotations

import ssl
from typing import Any

from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from meterbot_platform.settings import KafkaSettings

_SASL = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}


def _ssl_context(settings: KafkaSettings) -> ssl.SSLContext | None:
    if settings.kafka_security_protocol not in ("SSL", "SASL_SSL"):
        return None
    # Verifies the brokers' certificate and host name against the CA file (or the system's CAs).
    return ssl.create_default_context(cafile=settings.kafka_ssl_cafile)


def client_options(settings: KafkaSettings) -> dict[str, Any]:
    """Keyword arguments for AIOKafkaProducer / AIOKafkaConsumer / AIOKafkaAdminClient."""
    protocol = settings.kafka_security_protocol
    options: dict[str, Any] = {"security_protocol": protocol, "ssl_context": _ssl_context(settings)}
    if protocol.startswith("SASL_"):
        assert settings.kafka_sasl_password is not None  # KafkaSettings refuses SASL without it
        options |= {
            "sasl_mechanism": settings.kafka_sasl_mechanism,
            "sasl_plain_username": settings.kafka_sasl_username,
            "sasl_plain_password": settings.kafka_sasl_password.get_secret_value(),
        }
    return options


def broker_security(settings: KafkaSettings) -> BaseSecurity | None:
    """The same settings as FastStream's `security=` for KafkaBroker."""
    protocol = settings.kafka_security_protocol
    context = _ssl_context(settings)
    if protocol == "PLAINTEXT":
        return None
    if protocol == "SSL":
        return BaseSecurity(ssl_context=context, use_ssl=True)
    assert settings.kafka_sasl_username is not None and settings.kafka_sasl_password is not None
    return _SASL[settings.kafka_sasl_mechanism](
        settings.kafka_sasl_username,
        settings.kafka_sasl_password.get_secret_value(),
        ssl_context=context,
        use_ssl=protocol == "SASL_SSL",
    )
