"""What the readings consumer does when the world misbehaves, over real PostgreSQL and the real
broker: a database outage mid-load is waited out (no dead letters, every command answered exactly
once, /readyz says not ready meanwhile), and a record too large to republish is parked at once
without blocking its partition."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from aiokafka import AIOKafkaProducer
from meterbot_contracts import new_envelope
from meterbot_contracts.readings import ReadingAccepted, ReadingSubmitted
from meterbot_contracts.topics import ALL_TOPICS_WITH_DLQ, READINGS_COMMANDS, READINGS_EVENTS, dlq_topic
from meterbot_localstack import LocalPostgres
from meterbot_platform.broker import ensure_topics, envelope_headers
from meterbot_testing.bus import wait_until

from .conftest import START
from .readings_harness import (
    FixedClock,
    Service,
    link,
    new_ids,
    register,
    registry_meter,
    running_readings,
    submit,
)

pytestmark = pytest.mark.integration
COMMANDS = 40


@pytest.fixture
def own_postgres() -> Iterator[LocalPostgres]:
    """A server of this test's own, to stop and start again."""
    workdir = Path(tempfile.mkdtemp(prefix="meterbot-outage-pg-"))
    server = LocalPostgres(workdir / "pgdata", durable=False)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


async def _ready(service: Service) -> int:
    async with aiohttp.ClientSession() as http, http.get(service.url + "/readyz") as response:
        return response.status


async def test_a_database_outage_is_waited_out_and_every_command_answered_once(
    own_postgres: LocalPostgres, broker: str
) -> None:
    await ensure_topics(broker, ALL_TOPICS_WITH_DLQ, partitions=3)
    topics = [READINGS_EVENTS, dlq_topic(READINGS_COMMANDS)]
    async with running_readings(own_postgres.dsn, broker, FixedClock(START), topics) as service:
        chat, account, meter = new_ids()
        await register(service, account, registry_meter(meter))
        await link(service, chat, account)
        sent: list[str] = []

        async def send(n: int) -> None:
            for _ in range(n):
                command = ReadingSubmitted(
                    chat_id=chat, account_number=account, meter_id=meter, raw_value="260"
                )
                envelope = await service.publish(
                    READINGS_COMMANDS, command, key=meter, correlation_id=f"outage-{uuid.uuid4()}"
                )
                sent.append(envelope.correlation_id)

        await send(COMMANDS // 2)
        own_postgres.stop()  # mid-load: some of the first half may still be in hand
        await send(COMMANDS // 2)

        async def not_ready() -> bool:
            return await _ready(service) == 503

        await wait_until(not_ready)
        own_postgres.start()
        wanted = set(sent)
        answers = await service.log.wait_for(
            lambda s: s.envelope.correlation_id in wanted and s.topic == READINGS_EVENTS,
            n=COMMANDS,
            timeout=120,
        )

        async def ready_again() -> bool:
            return await _ready(service) == 200

        await wait_until(ready_again, timeout=60)
    distinct = {(s.envelope.correlation_id, s.envelope.message_id) for s in answers}
    per_command = [sum(1 for c, _ in distinct if c == correlation) for correlation in wanted]
    assert per_command == [1] * COMMANDS  # each answered, once (a relay repeat has the same id)
    assert all(s.envelope.type == ReadingAccepted.TYPE for s in answers)
    assert service.log.matching(lambda s: s.topic == dlq_topic(READINGS_COMMANDS)) == []


async def test_a_record_too_large_to_republish_is_parked_and_its_partition_flows_on(
    service: Service, broker: str
) -> None:
    chat, account, meter = new_ids()
    await register(service, account, registry_meter(meter))
    await link(service, chat, account)
    big = new_envelope(
        ReadingSubmitted(chat_id=chat, account_number=account, meter_id=meter, raw_value="260")
    ).model_copy(update={"payload": {"padding": "x" * 3_000_000}})
    producer = AIOKafkaProducer(bootstrap_servers=broker, max_request_size=8 * 1024 * 1024)
    await producer.start()
    try:
        await producer.send_and_wait(
            READINGS_COMMANDS, big.to_bytes(), key=meter.encode(), headers=envelope_headers(big)
        )
    finally:
        await producer.stop()
    answer = await submit(service, chat, account, meter, "261")  # same key: the same partition
    assert isinstance(answer, ReadingAccepted)
    parked = await _parked(broker, big.message_id)
    headers = {k: bytes(v).decode() for k, v in parked.headers}
    assert headers["x-dlq-reason"] == "too_large"
    assert int(headers["x-original-size"]) > 3_000_000
    assert headers["x-dlq-truncated"] == "true"
    assert parked.value is not None and len(parked.value) < 1024 * 1024


async def _parked(broker: str, message_id: uuid.UUID):  # type: ignore[no-untyped-def]
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        dlq_topic(READINGS_COMMANDS),
        bootstrap_servers=broker,
        auto_offset_reset="earliest",
        group_id=f"test-dlq-{uuid.uuid4().hex[:8]}",
        max_partition_fetch_bytes=8 * 1024 * 1024,
    )
    await consumer.start()
    try:

        async def found():  # type: ignore[no-untyped-def]
            for records in (await consumer.getmany(timeout_ms=200)).values():
                for record in records:
                    if dict(record.headers).get("message_id") == str(message_id).encode():
                        return record
            return None

        return await wait_until(found, timeout=30)
    finally:
        await consumer.stop()
