"""A domain service run in-process for its integration tests, exactly as in production
(run_service: migrations, broker, wiring, HTTP), against the session's real PostgreSQL and broker,
on a database of its own that is dropped afterwards."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
import uuid
from collections.abc import AsyncIterator
from datetime import datetime

import aiohttp
import asyncpg
from faststream.kafka import KafkaBroker
from meterbot_localstack import free_port
from meterbot_platform.broker import make_broker
from meterbot_platform.db import database_dsn
from meterbot_platform.runtime import ServiceSpec, run_service
from meterbot_platform.settings import HttpSettings, KafkaSettings, PostgresSettings, ProcessSettings

from meterbot_testing.bus import TopicLog


@dataclasses.dataclass(frozen=True)
class InProcessService:
    url: str  # its HTTP port: /readyz, /metrics and the service's own routes
    pool: asyncpg.Pool  # on its database, to look at what it stored


@contextlib.asynccontextmanager
async def run_in_process(
    spec: ServiceSpec, postgres_dsn: str, kafka: KafkaSettings, *, partitions: int | None = None
) -> AsyncIterator[InProcessService]:
    """Run `spec` (its wiring as the test wants it) until the block ends; ready when entered."""
    database = f"{spec.database}_{uuid.uuid4().hex[:10]}"
    port, stop = free_port(), asyncio.Event()
    settings = ProcessSettings(
        postgres=PostgresSettings(postgres_dsn=postgres_dsn),
        # the session's settings: one broker, the service applies the topic plan itself (as `meterbot up`)
        kafka=kafka.model_copy(update={"kafka_partitions": partitions or kafka.kafka_partitions}),
        http=HttpSettings(http_host="127.0.0.1", http_port=port),
    )
    spec = dataclasses.replace(spec, database=database)
    task = asyncio.create_task(run_service(spec, stop, settings))
    url = f"http://127.0.0.1:{port}"
    await wait_ready(url, task, spec.name)
    pool = await asyncpg.create_pool(database_dsn(postgres_dsn, database), min_size=1, max_size=5)
    assert pool is not None
    try:
        yield InProcessService(url, pool)
    finally:
        await pool.close()
        stop.set()
        await asyncio.wait_for(task, 30)
        admin = await asyncpg.connect(postgres_dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        finally:
            await admin.close()


async def wait_ready(url: str, task: asyncio.Task[None], name: str, timeout: float = 60) -> None:
    """Until the service's /readyz answers 200; if it died starting, what stopped it is raised."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if task.done():
                task.result()
                raise AssertionError(f"the {name} service exited while starting")
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(url + "/readyz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise TimeoutError(f"the {name} service did not become ready in {timeout:.0f} s")


@dataclasses.dataclass
class FixedClock:
    """A clock a test sets (`clock.now = ...`); services take it as their `clock`."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclasses.dataclass(frozen=True)
class ObservedService:
    url: str
    pool: asyncpg.Pool  # the service's own database
    producer: KafkaBroker  # to publish what other services would
    log: TopicLog  # what it publishes on `topics`


@contextlib.asynccontextmanager
async def run_observed(
    spec: ServiceSpec, postgres_dsn: str, bootstrap: str, topics: list[str]
) -> AsyncIterator[ObservedService]:
    """run_in_process, plus a producer playing the other services and a log of `topics`."""
    kafka = KafkaSettings(kafka_bootstrap=bootstrap, kafka_idempotent=False, kafka_partitions=3)
    async with run_in_process(spec, postgres_dsn, kafka) as running:
        producer = make_broker(kafka, "test")
        await producer.start()
        log = TopicLog(bootstrap, topics)
        await log.start()
        try:
            yield ObservedService(running.url, running.pool, producer, log)
        finally:
            await log.stop()
            await producer.stop()
