"""pytest fixtures: session-wide servers, a fresh database and fresh topic names per test."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from meterbot_platform.db import database_dsn
from meterbot_platform.migrations import migrate
from meterbot_platform.runtime import PLATFORM_MIGRATIONS
from meterbot_platform.settings import KafkaSettings

from meterbot_testing.infra import Kafka, Postgres, kafka_broker, postgres_server

SERVERS_USED: list[str] = []  # what the session's tests ran on, printed at the end of the run


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for server in SERVERS_USED:
        terminalreporter.write_line(f"meterbot tests ran on: {server}")


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    # Its own temp dir, not pytest's basetemp: a concurrent pytest run rotates that and would
    # delete the cluster under us.
    workdir = Path(tempfile.mkdtemp(prefix="meterbot-test-pg-"))
    try:
        with postgres_server(workdir) as server:
            SERVERS_USED.append(f"PostgreSQL from {server.origin}")
            yield server
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def kafka() -> Iterator[Kafka]:
    try:
        with kafka_broker() as broker:
            SERVERS_USED.append(f"Kafka from {broker.origin} at {broker.bootstrap}")
            if not broker.idempotent:  # tansu: see KafkaSettings.kafka_fetch_max_wait_ms
                os.environ.setdefault("METERBOT_KAFKA_FETCH_MAX_WAIT_MS", "10")
            yield broker
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def kafka_settings(kafka: Kafka) -> KafkaSettings:
    # Like the local stack: one broker, and code under test may apply the topic plan itself.
    return KafkaSettings(
        kafka_bootstrap=kafka.bootstrap,
        kafka_idempotent=kafka.idempotent,
        kafka_partitions=3,
        kafka_replication_factor=1,
        kafka_create_topics=True,
    )


@pytest.fixture
async def database(postgres: Postgres) -> AsyncIterator[str]:
    """A fresh, empty database for one test; its DSN."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(postgres.dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield database_dsn(postgres.dsn, name)
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def pool(database: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a fresh database with the platform tables (events, checkpoints, inbox)."""
    pool = await asyncpg.create_pool(database, min_size=1, max_size=40)
    assert pool is not None
    await migrate(pool, PLATFORM_MIGRATIONS)
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture
def topic_suffix() -> str:
    """Tests that publish share one broker: suffix topic names to keep them apart."""
    return uuid.uuid4().hex[:8]
