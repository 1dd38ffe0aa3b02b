"""The life of one service process: settings -> logging -> database -> broker -> wiring -> run
until SIGTERM/SIGINT -> clean stop. Each service's main.py passes its own wiring."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Collection, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Unpack

import asyncpg
from aiohttp import web
from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker
from meterbot_contracts import Message
from meterbot_contracts.all import default_registry
from meterbot_contracts.topics import events_topic

from meterbot_platform import checkpoints, consumer, consumer_lag, eventstore, inbox
from meterbot_platform.broker import event_publisher, make_broker, make_producer
from meterbot_platform.consumer import BatchHandler, ConsumerOptions, Handler, Polling
from meterbot_platform.consumer_lag import groups_of
from meterbot_platform.db import create_pool, create_reader_pool, ensure_database
from meterbot_platform.eventstore import EventStore
from meterbot_platform.http import health_app, start_http
from meterbot_platform.kafka_security import client_options
from meterbot_platform.logs import configure_logging
from meterbot_platform.migrations import Migration, migrate
from meterbot_platform.outbox import OutboxRelay
from meterbot_platform.projection import Projection, ProjectionRunner
from meterbot_platform.settings import (
    HttpSettings,
    KafkaSettings,
    LogSettings,
    PostgresSettings,
    ProcessSettings,
)
from meterbot_platform.topic_plan import apply_topic_plan, topic_plan

log = logging.getLogger(__name__)

PLATFORM_MIGRATIONS: tuple[Migration, ...] = eventstore.MIGRATIONS + checkpoints.MIGRATIONS + inbox.MIGRATIONS
Background = Callable[[], Coroutine[Any, Any, None]]


@dataclass
class Runtime:
    """What a service's wiring gets: connections made, nothing started yet."""

    service: str
    pool: asyncpg.Pool
    broker: KafkaBroker
    producer: AIOKafkaProducer  # bulk sends (the outbox relay); started with the broker
    store: EventStore = field(default_factory=EventStore)
    # what every consumer of the process shares (settings read once here; their progress for /readyz)
    consumers: ConsumerOptions = field(default_factory=ConsumerOptions)
    background: list[Background] = field(default_factory=list)
    routes: list[web.RouteDef] = field(default_factory=list)
    # connections for outbox relays and projections (db.create_reader_pool); see `readers`
    reader_pool: asyncpg.Pool | None = None
    # the address the service's HTTP port is bound to (a route may serve only a loopback listener)
    http_host: str = "0.0.0.0"

    @property
    def readers(self) -> asyncpg.Pool:
        """The pool for transactions that never append events (ProjectionRunner, OutboxRelay): on it
        they do not hold back the commit-order horizon. Without a reader pool, the main pool: as
        sound, only a long view batch then delays the relay."""
        return self.reader_pool or self.pool

    def project(self, projections: Iterable[Projection], batch_size: int | None = None) -> None:
        """Keep each projection up to date in the background, on the reader pool."""
        for projection in projections:
            runner = ProjectionRunner(self.readers, projection, service=self.service, **_batch(batch_size))
            self.background.append(runner.run)

    # The service's consumers (consumer.py), in its name, with the contracts' registry and the
    # process's consumer options; a group is the service's name unless given (tests pass their own).

    def subscribe(
        self,
        topics: str | Sequence[str],
        *,
        handlers: Mapping[type[Message], Handler],
        group_id: str | None = None,
        **polling: Unpack[Polling],
    ) -> None:
        """Per-message handlers (consumer.subscribe)."""
        per_message = {cls: consumer.one_message(handler) for cls, handler in handlers.items()}
        self.subscribe_groups(
            topics, handlers=per_message, single=list(handlers), group_id=group_id, **polling
        )

    def subscribe_batch(
        self,
        topics: str | Sequence[str],
        *,
        handled: Sequence[type[Message]],
        handler: BatchHandler,
        group_id: str | None = None,
        **polling: Unpack[Polling],
    ) -> None:
        """One batch handler for every type in `handled` (consumer.subscribe_batch)."""
        self.subscribe_groups(topics, handlers=dict.fromkeys(handled, handler), group_id=group_id, **polling)

    def subscribe_groups(
        self,
        topics: str | Sequence[str],
        *,
        handlers: Mapping[type[Message], BatchHandler],
        single: Collection[type[Message]] = (),
        group_id: str | None = None,
        **polling: Unpack[Polling],
    ) -> None:
        """Batch handlers by type; the types in `single` one message at a time (consumer.subscribe_groups)."""
        consumer.subscribe_groups(
            self.broker,
            topics,
            service=self.service,
            group_id=group_id or self.service,
            registry=default_registry,
            handlers=handlers,
            single=single,
            options=self.consumers,
            **polling,
        )


def _batch(batch_size: int | None) -> dict[str, int]:
    return {} if batch_size is None else {"batch_size": batch_size}


# A service's wiring: subscribers, projections, routes and background jobs on a Runtime.
Wire = Callable[[Runtime], Awaitable[None]]


@dataclass(frozen=True)
class ServiceSpec:
    name: str  # as in topic names: "identity", "billing-export", ...
    database: str  # its own database on the server
    migrations: Sequence[Migration] = ()
    wire: Wire | None = None
    publishes_events: bool = True  # run an outbox relay to meterbot.<name>.events


async def _retry(what: str, action: Callable[[], Awaitable[Any]], attempts: int = 60) -> Any:
    """Dependencies may start after us (compose, k8s): wait for them, loudly."""
    for attempt in range(1, attempts + 1):
        try:
            return await action()
        except Exception as exc:
            if attempt == attempts:
                raise
            log.warning("%s not reachable yet (%s); retry %d/%d", what, exc, attempt, attempts)
            await asyncio.sleep(1)


def _read(
    settings: ProcessSettings | None,
) -> tuple[LogSettings, PostgresSettings, KafkaSettings, HttpSettings]:
    """The given settings, else the environment's (a process's own start)."""
    s = settings or ProcessSettings()
    return s.logs, s.postgres, s.kafka, s.http


def _readiness_checks(runtime: Runtime, started: asyncio.Event) -> dict[str, Callable[[], Awaitable[bool]]]:
    async def db_ready() -> bool:
        return bool(await runtime.pool.fetchval("SELECT 1"))

    async def broker_ready() -> bool:
        return await runtime.broker.ping(timeout=2)

    async def consuming() -> bool:
        """Started, and no consumer paused by an outage or stuck in one poll."""
        return started.is_set() and await runtime.consumers.health.ready()

    return {"postgres": db_ready, "kafka": broker_ready, "consuming": consuming}


def _consumer_options(kafka: KafkaSettings) -> ConsumerOptions:
    return ConsumerOptions(
        kafka.kafka_fetch_max_wait_ms,
        idle_fetch_max_wait_ms=kafka.kafka_idle_fetch_max_wait_ms,
        idle_after_s=kafka.kafka_idle_after_s,
    )


async def run_service(
    spec: ServiceSpec, stop: asyncio.Event | None = None, settings: ProcessSettings | None = None
) -> None:
    """Run until `stop` (default: SIGTERM/SIGINT); `settings` default: read from the environment."""
    logs, pg, kafka, http = _read(settings)
    configure_logging(spec.name, logs.log_level, logs.log_format)
    stop = stop or _stop_on_signals()

    dsn = await _retry("PostgreSQL", lambda: ensure_database(pg.postgres_dsn, spec.database))
    pool = await create_pool(dsn, pg.postgres_pool_min, pg.postgres_pool_max)
    readers = await create_reader_pool(dsn, 1, pg.postgres_reader_pool_max)
    tasks: list[asyncio.Task[None]] = []
    runner: web.AppRunner | None = None
    broker = make_broker(kafka, spec.name)
    producer = make_producer(kafka, f"meterbot-{spec.name}-outbox")
    try:
        applied = await migrate(pool, (*PLATFORM_MIGRATIONS, *spec.migrations))
        if applied:
            log.info("migrations applied: %s", ", ".join(applied))
        if kafka.kafka_create_topics:  # off in production: the topic plan Job owns topics
            plan = topic_plan(kafka.kafka_partitions, kafka.kafka_replication_factor)
            await _retry(
                "Kafka", lambda: apply_topic_plan(kafka.kafka_bootstrap, plan, client_options(kafka))
            )
        runtime = Runtime(
            spec.name,
            pool,
            broker,
            producer,
            consumers=_consumer_options(kafka),
            reader_pool=readers,
            http_host=http.http_host,
        )
        if spec.wire is not None:
            await spec.wire(runtime)
        if groups_of(broker):
            runtime.background.append(lambda: consumer_lag.monitor(spec.name, kafka, broker))
        if spec.publishes_events:
            publish = event_publisher(producer, events_topic(spec.name))
            runtime.background.append(OutboxRelay(runtime.readers, publish, service=spec.name).run)

        started = asyncio.Event()
        runner = await start_http(
            health_app(_readiness_checks(runtime, started), runtime.routes),
            http.http_host,
            http.http_port,
        )
        await _retry("Kafka", lambda: start_broker(broker))
        await _retry("Kafka", producer.start)
        tasks = [asyncio.create_task(job(), name=job.__qualname__) for job in runtime.background]
        started.set()
        log.info("%s started (http :%d)", spec.name, http.http_port)
        await _until(stop, tasks)
    finally:
        log.info("%s stopping", spec.name)
        for task in tasks:
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            await broker.stop()
        with contextlib.suppress(Exception):
            await producer.stop()  # flushes what is queued; a no-op if it never started
        if runner is not None:
            await runner.cleanup()
        await asyncio.gather(readers.close(), pool.close())
        log.info("%s stopped", spec.name)


async def start_broker(broker: KafkaBroker) -> None:
    """KafkaBroker.start() with its consumers started side by side: each one's group join waits
    half its session timeout on tansu (5 s), and FastStream starts them one after another (a
    service with three consumers was ready 15 s after its migrations). A failed start stops what
    started, so a retry does not leave a second consumer behind."""
    try:
        await broker.connect()
        async with asyncio.TaskGroup() as starting:  # one failing cancels the others
            for subscriber in broker.subscribers:
                starting.create_task(subscriber.start())
        for publisher in broker.publishers:
            await publisher.start()
        broker.running = True
    except BaseException:
        with contextlib.suppress(Exception):
            await broker.stop()
        raise


async def _until(stop: asyncio.Event, tasks: list[asyncio.Task[None]]) -> None:
    """Return on stop; a background task that dies takes the process down (the supervisor restarts)."""
    waiter = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    for task in done:
        if task is not waiter and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


def main(spec: ServiceSpec) -> None:
    """Console-script entry point for a service."""
    asyncio.run(run_service(spec))
