"""Settings from the environment (METERBOT_* names are fixed: DESIGN §6), one class per concern."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class _Meterbot(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="METERBOT_", extra="ignore")


class PostgresSettings(_Meterbot):
    # A *server* DSN: each service creates and uses its own database on it.
    postgres_dsn: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    postgres_pool_min: int = 1
    postgres_pool_max: int = 10
    # outbox relay + projections: each holds one connection listening and uses one per batch
    postgres_reader_pool_max: int = Field(default=10, ge=2)


class KafkaSettings(_Meterbot):
    kafka_bootstrap: str = "127.0.0.1:9092"
    # On for Apache Kafka; the local tansu broker has no InitProducerId, so `meterbot up` turns it off.
    kafka_idempotent: bool = True
    kafka_client_id: str | None = None
    # Services create topics (from meterbot_platform.topic_plan) only where told to: in production
    # the plan is applied by a Job / compose's kafka-init, and the services' role may not create topics.
    kafka_create_topics: bool = False
    # The topic plan's partitions (the consuming services' replica limit) and replication factor.
    kafka_partitions: int = Field(default=6, ge=1)
    kafka_replication_factor: int = Field(default=3, ge=1)
    # What managed Kafka needs (meterbot_platform.kafka_security maps these to every client).
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None  # from a Secret, never a ConfigMap
    kafka_ssl_cafile: str | None = None  # PEM bundle of the brokers' CA; unset: the system's CAs
    # How long a fetch may wait for data. Apache Kafka answers as soon as data arrives, so 500 ms
    # costs nothing there. tansu may hold it longer, so `meterbot up` sets 50 ms: measured on the
    # e2e journey, 10/25/50 ms gave the same reply latency (p99 ~115 ms) and 100/250 ms a worse one,
    # while every idle consumer polls 5x less often than at 10 ms (idle stack: 40% of a core, not 80%).
    kafka_fetch_max_wait_ms: int = Field(default=500, ge=1)
    # A consumer that got no records for kafka_idle_after_s fetches with this wait instead (at
    # least its own), until records come again: an idle stack on tansu then costs a few % of a core
    # instead of ~40 %, and only the first message after a quiet spell waits longer (idle_fetch.py).
    # 30 s: a resident's pauses between steps (reading, typing a value) keep the consumers quick.
    kafka_idle_fetch_max_wait_ms: int = Field(default=500, ge=1)
    kafka_idle_after_s: float = Field(default=30.0, ge=0)

    @model_validator(mode="after")
    def _sasl_needs_credentials(self) -> KafkaSettings:
        if self.kafka_security_protocol.startswith("SASL_") and not (
            self.kafka_sasl_username and self.kafka_sasl_password
        ):
            raise ValueError(
                f"METERBOT_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs "
                "METERBOT_KAFKA_SASL_USERNAME and METERBOT_KAFKA_SASL_PASSWORD"
            )
        return self


class PeriodSettings(_Meterbot):
    # The billing period is a calendar month in this zone (DESIGN §5). One setting for every service:
    # readings' window and periods, the periods billing-export may close, the dates the bot shows.
    period_time_zone: str = "Europe/Moscow"

    @field_validator("period_time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @property
    def time_zone(self) -> ZoneInfo:
        return ZoneInfo(self.period_time_zone)


class HttpSettings(_Meterbot):
    http_host: str = "0.0.0.0"
    http_port: int = 8080


class LogSettings(_Meterbot):
    log_level: str = "INFO"
    log_format: str = Field(default="console", pattern="^(console|json)$")


class TelegramSettings(_Meterbot):
    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    admin_chat_id: int | None = None


@dataclass(frozen=True)
class ProcessSettings:
    """What every service process needs, read once where the process starts (its composition root)
    and passed down; tests build one instead of setting environment variables."""

    postgres: PostgresSettings = field(default_factory=PostgresSettings)
    kafka: KafkaSettings = field(default_factory=KafkaSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    logs: LogSettings = field(default_factory=LogSettings)
