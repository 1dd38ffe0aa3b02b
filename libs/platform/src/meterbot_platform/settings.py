"""Settings from the environment (METERBOT_* names are fixed: DESIGN §6), one class per concern."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
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
    kafka_create_topics: bool = True
    kafka_partitions: int = Field(default=6, ge=1)
    kafka_replication_factor: int = Field(default=1, ge=1)
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
