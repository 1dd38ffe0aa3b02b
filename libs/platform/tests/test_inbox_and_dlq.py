"""Consumers over the real broker: redelivery has no second effect; bad messages are parked."""

from __future__ import annotations

import asyncio
import time
from uuid import UUID, uuid4

import asyncpg
import pytest
from meterbot_contracts import Envelope, MessageRegistry, new_envelope
from meterbot_contracts.registry import Message
from meterbot_contracts.topics import dlq_topic
from meterbot_platform import inbox
from meterbot_platform.broker import ensure_topics, make_broker, publish_envelope
from meterbot_platform.consumer import subscribe
from meterbot_platform.settings import KafkaSettings

from .kafka_io import header, read_topic

pytestmark = pytest.mark.integration

registry = MessageRegistry()


@registry.register
class CounterIncremented(Message):
    TYPE = "CounterIncremented"
    amount: int


async def _effects(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT coalesce(sum(amount), 0) FROM effects"))


async def _wait_until(predicate, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not await predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


@pytest.fixture
async def effects_table(pool: asyncpg.Pool) -> asyncpg.Pool:
    await pool.execute("CREATE TABLE effects (message_id uuid, amount int)")
    return pool


def _handler(pool: asyncpg.Pool):  # type: ignore[no-untyped-def]
    async def handle(envelope: Envelope, message: CounterIncremented) -> str:
        async with pool.acquire() as conn, conn.transaction():
            if not await inbox.claim(conn, "counter", envelope.message_id):
                return "duplicate"
            await conn.execute("INSERT INTO effects VALUES ($1, $2)", envelope.message_id, message.amount)
        return "accepted"

    return handle


async def test_claim_is_once_per_consumer_and_message(pool: asyncpg.Pool) -> None:
    mid = uuid4()
    async with pool.acquire() as conn:
        assert await inbox.claim(conn, "a", mid) is True
        assert await inbox.claim(conn, "a", mid) is False
        assert await inbox.claim(conn, "b", mid) is True  # another consumer's inbox


async def test_a_rolled_back_effect_releases_the_claim(pool: asyncpg.Pool) -> None:
    mid = uuid4()
    async with pool.acquire() as conn:
        with pytest.raises(RuntimeError):
            async with conn.transaction():
                assert await inbox.claim(conn, "a", mid)
                raise RuntimeError("crash before commit")
        assert await inbox.claim(conn, "a", mid) is True  # so the redelivery is processed


async def test_redelivered_message_has_no_second_effect(
    effects_table: asyncpg.Pool, kafka_settings: KafkaSettings, topic_suffix: str
) -> None:
    pool = effects_table
    topic = f"inbox-test.{topic_suffix}"
    await ensure_topics(kafka_settings.kafka_bootstrap, [topic, dlq_topic(topic)], partitions=3)
    broker = make_broker(kafka_settings, "inbox-test")
    subscribe(
        broker,
        topic,
        service="inbox-test",
        group_id=f"g-{topic_suffix}",
        registry=registry,
        handlers={CounterIncremented: _handler(pool)},
    )
    await broker.start()
    try:
        once = new_envelope(CounterIncremented(amount=5))
        for _ in range(3):  # the same message delivered three times (producer retry, replay, ...)
            await publish_envelope(broker, topic, once, key="k")
        await publish_envelope(broker, topic, new_envelope(CounterIncremented(amount=1)), key="k")

        async def processed_both() -> bool:
            return int(await pool.fetchval("SELECT count(*) FROM inbox")) == 2

        # one key, one partition, handled in order: once the last message is in, every copy of
        # `once` before it has been handled too, so a wrongful second effect would show now
        await _wait_until(processed_both)
    finally:
        await broker.stop()
    assert await _effects(pool) == 6
    assert await pool.fetchval("SELECT count(*) FROM effects WHERE message_id = $1", once.message_id) == 1


async def test_malformed_and_unknown_messages_are_parked_and_the_consumer_carries_on(
    effects_table: asyncpg.Pool, kafka_settings: KafkaSettings, topic_suffix: str
) -> None:
    pool = effects_table
    topic = f"dlq-test.{topic_suffix}"
    await ensure_topics(kafka_settings.kafka_bootstrap, [topic, dlq_topic(topic)], partitions=1)
    broker = make_broker(kafka_settings, "dlq-test")
    subscribe(
        broker,
        topic,
        service="dlq-test",
        group_id=f"g-{topic_suffix}",
        registry=registry,
        handlers={CounterIncremented: _handler(pool)},
    )
    await broker.start()
    good = new_envelope(CounterIncremented(amount=7))
    unknown = good.model_copy(update={"message_id": uuid4(), "type": "NoSuchThing"})
    bad_payload = good.model_copy(update={"message_id": uuid4(), "payload": {"amount": "many"}})
    try:
        await broker.publish(b"\xff not json at all", topic, key=b"k")
        await broker.publish(b'{"type": "CounterIncremented"}', topic, key=b"k")
        await broker.publish(unknown.to_bytes(), topic, key=b"k")
        await broker.publish(bad_payload.to_bytes(), topic, key=b"k")
        await publish_envelope(broker, topic, good, key="k")

        async def good_one_handled() -> bool:
            return await _effects(pool) == 7

        await _wait_until(good_one_handled)
        parked = await read_topic(kafka_settings.kafka_bootstrap, dlq_topic(topic), expect=4)
    finally:
        await broker.stop()
    reasons = [header(r, "x-dlq-reason") for r in parked]
    assert reasons == ["invalid_envelope", "invalid_envelope", "unknown_type", "invalid_payload"]
    assert all(header(r, "x-original-topic") == topic for r in parked)
    assert parked[0].value == b"\xff not json at all"  # the original bytes, untouched
    assert "amount" in (header(parked[3], "x-dlq-detail") or "")
    assert UUID(str(good.message_id)) == await pool.fetchval("SELECT message_id FROM effects")


async def test_a_failing_handler_is_retried_then_parked_and_later_messages_still_flow(
    effects_table: asyncpg.Pool, kafka_settings: KafkaSettings, topic_suffix: str
) -> None:
    pool = effects_table
    topic = f"retry-test.{topic_suffix}"
    await ensure_topics(kafka_settings.kafka_bootstrap, [topic, dlq_topic(topic)], partitions=1)
    attempts: dict[int, int] = {}
    effect = _handler(pool)

    async def flaky(envelope: Envelope, message: CounterIncremented) -> str:
        attempts[message.amount] = attempts.get(message.amount, 0) + 1
        if message.amount == 2 and attempts[2] < 3:
            raise ConnectionError("database blinked")  # transient: succeeds on the 3rd delivery
        if message.amount == 13:
            raise RuntimeError("a bug")  # never succeeds
        return str(await effect(envelope, message))

    broker = make_broker(kafka_settings, "retry-test")
    subscribe(
        broker,
        topic,
        service="retry-test",
        group_id=f"g-{topic_suffix}",
        registry=registry,
        handlers={CounterIncremented: flaky},
        max_attempts=4,
        retry_delay=0.01,
    )
    await broker.start()
    try:
        for amount in (2, 13, 100):
            await publish_envelope(broker, topic, new_envelope(CounterIncremented(amount=amount)), key="k")

        async def all_done() -> bool:
            return await _effects(pool) == 102

        await _wait_until(all_done, timeout=30)
        parked = await read_topic(kafka_settings.kafka_bootstrap, dlq_topic(topic), expect=1)
    finally:
        await broker.stop()
    assert attempts[2] == 3 and attempts[13] == 4 and attempts[100] == 1
    assert [header(r, "x-dlq-reason") for r in parked] == ["handler_error"]
    assert "a bug" in (header(parked[0], "x-dlq-detail") or "")


async def test_batch_consumer_applies_each_message_once_and_parks_bad_ones(
    effects_table: asyncpg.Pool, kafka_settings: KafkaSettings, topic_suffix: str
) -> None:
    from meterbot_platform.consumer import subscribe_batch

    pool = effects_table
    topic = f"batch-test.{topic_suffix}"
    await ensure_topics(kafka_settings.kafka_bootstrap, [topic, dlq_topic(topic)], partitions=2)

    async def apply_batch(items: list[tuple[Envelope, CounterIncremented]]) -> set[UUID]:
        applied = set()
        async with pool.acquire() as conn, conn.transaction():
            for envelope, message in items:
                if await inbox.claim(conn, "batch", envelope.message_id):
                    await conn.execute(
                        "INSERT INTO effects VALUES ($1, $2)", envelope.message_id, message.amount
                    )
                    applied.add(envelope.message_id)
        return applied

    broker = make_broker(kafka_settings, "batch-test")
    subscribe_batch(
        broker,
        topic,
        service="batch-test",
        group_id=f"g-{topic_suffix}",
        registry=registry,
        handled=[CounterIncremented],
        handler=apply_batch,
        max_records=100,
    )
    await broker.start()
    try:
        envelopes = [new_envelope(CounterIncremented(amount=1)) for _ in range(300)]
        for i, env in enumerate(envelopes):
            await publish_envelope(broker, topic, env, key=str(i % 7))
        await publish_envelope(broker, topic, envelopes[0], key="0")  # a redelivery
        # after it on its partition: once this is applied, the redelivery has been handled
        last = new_envelope(CounterIncremented(amount=0))
        await publish_envelope(broker, topic, last, key="0")
        await broker.publish(b"garbage", topic, key=b"x")

        async def all_applied() -> bool:
            return bool(
                await pool.fetchval("SELECT count(*) FROM effects WHERE message_id = $1", last.message_id)
            )

        await _wait_until(all_applied, timeout=30)
        parked = await read_topic(kafka_settings.kafka_bootstrap, dlq_topic(topic), expect=1)
    finally:
        await broker.stop()
    assert await _effects(pool) == 300
    assert [header(r, "x-dlq-reason") for r in parked] == ["invalid_envelope"]


async def test_a_poll_that_keeps_failing_is_applied_one_by_one_and_only_the_culprit_parked(
    effects_table: asyncpg.Pool, kafka_settings: KafkaSettings, topic_suffix: str
) -> None:
    from meterbot_platform.consumer import subscribe_batch

    pool = effects_table
    topic = f"batch-poison.{topic_suffix}"
    await ensure_topics(kafka_settings.kafka_bootstrap, [topic, dlq_topic(topic)], partitions=1)
    calls: list[int] = []

    async def apply_batch(items: list[tuple[Envelope, CounterIncremented]]) -> set[UUID]:
        calls.append(len(items))
        async with pool.acquire() as conn, conn.transaction():
            for envelope, message in items:
                if message.amount == 13:
                    raise RuntimeError("a bug")  # rolls the whole poll back
                assert await inbox.claim(conn, "poison", envelope.message_id)
                await conn.execute("INSERT INTO effects VALUES ($1, $2)", envelope.message_id, message.amount)
        return {envelope.message_id for envelope, _ in items}

    broker = make_broker(kafka_settings, "poison-test")
    subscribe_batch(
        broker,
        topic,
        service="poison-test",
        group_id=f"g-{topic_suffix}",
        registry=registry,
        handled=[CounterIncremented],
        handler=apply_batch,
        max_attempts=3,
        retry_delay=0.01,
    )
    producer = make_broker(kafka_settings, "poison-producer")
    await producer.start()
    try:
        # all in one batch before the consumer starts, so the first poll holds the culprit
        for amount in (1, 2, 13, 4):
            await publish_envelope(producer, topic, new_envelope(CounterIncremented(amount=amount)), key="k")
        await broker.start()

        async def rest_applied() -> bool:
            return await _effects(pool) == 7

        await _wait_until(rest_applied, timeout=30)
        parked = await read_topic(kafka_settings.kafka_bootstrap, dlq_topic(topic), expect=1)
    finally:
        await broker.stop()
        await producer.stop()
    assert [header(r, "x-dlq-reason") for r in parked] == ["handler_error"]
    assert "a bug" in (header(parked[0], "x-dlq-detail") or "")
    assert calls[:3] == [4, 4, 4] and calls[3:] == [1, 1, 1, 1]  # 3 attempts, then one at a time


async def test_a_known_type_without_a_handler_is_skipped_by_its_headers(
    effects_table: asyncpg.Pool, kafka_settings: KafkaSettings, topic_suffix: str
) -> None:
    """A topic carries many types; a consumer skips those it does not handle without parsing them
    (their own consumers judge them)."""

    @registry.register
    class CounterReset(Message):
        TYPE = f"CounterReset{topic_suffix.replace('-', '')}"

    pool = effects_table
    topic = f"skip-test.{topic_suffix}"
    await ensure_topics(kafka_settings.kafka_bootstrap, [topic, dlq_topic(topic)], partitions=1)
    broker = make_broker(kafka_settings, "skip-test")
    subscribe(
        broker,
        topic,
        service="skip-test",
        group_id=f"g-{topic_suffix}",
        registry=registry,
        handlers={CounterIncremented: _handler(pool)},
    )
    await broker.start()
    try:
        headers = {"type": CounterReset.TYPE, "version": "1"}
        await broker.publish(b"not parsed", topic, key=b"k", headers=headers)
        await broker.publish(b"not json either", topic, key=b"k")  # no headers: parsed, parked
        await publish_envelope(broker, topic, new_envelope(CounterIncremented(amount=5)), key="k")

        async def handled() -> bool:
            return await _effects(pool) == 5

        await _wait_until(handled)
        parked = await read_topic(kafka_settings.kafka_bootstrap, dlq_topic(topic), expect=1)
        everything = await read_topic(kafka_settings.kafka_bootstrap, dlq_topic(topic), expect=2, timeout=1.5)
    finally:
        await broker.stop()
    assert [r.value for r in parked] == [b"not json either"]
    assert len(everything) == 1  # the skipped one was not parked
