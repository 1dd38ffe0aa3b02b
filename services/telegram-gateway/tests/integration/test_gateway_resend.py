"""The gateway publishes its still-unanswered commands again at start, exactly as first sent (same
message id), so a broker that lost them (the local one keeps messages in memory) or a gateway that
died between remembering and publishing loses no resident's request; answered ones are not sent."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from meterbot_contracts import new_envelope
from meterbot_contracts.readings import ReadingSubmitted
from meterbot_platform.broker import ensure_topics, make_broker
from meterbot_platform.settings import KafkaSettings
from meterbot_testing.bus import Bus
from meterbot_testing.infra import Postgres
from telegram_gateway.commands import CommandBus
from telegram_gateway.storage.pending import Pending, PendingStore
from telegram_gateway.topics import GatewayTopics

from .gateway_harness import fresh_database

pytestmark = pytest.mark.integration


async def test_unanswered_commands_are_sent_again_as_they_were(
    postgres: Postgres, kafka_settings: KafkaSettings
) -> None:
    topics = GatewayTopics().suffixed(uuid.uuid4().hex[:8])
    await ensure_topics(kafka_settings.kafka_bootstrap, topics.all_with_dlq(), partitions=3)
    async with fresh_database(postgres.dsn) as pool:
        store = PendingStore(pool, timeout=10)
        sent = []
        for meter in ("m-1", "m-2"):
            command = ReadingSubmitted(chat_id=7, account_number="100", meter_id=meter, raw_value="5")
            envelope = new_envelope(command, correlation_id=str(uuid.uuid4()))
            await store.add(
                Pending(envelope.correlation_id, 7, "reading", "ru", datetime.now(UTC)),
                (topics.readings_commands, meter, envelope.to_bytes()),
            )
            sent.append(envelope)
        async with pool.acquire() as conn:  # the answer to m-2 arrived
            assert await PendingStore.take(conn, sent[1].correlation_id, "reading") is not None

        broker = make_broker(kafka_settings, "gateway-resend-test")
        await broker.start()
        try:
            async with Bus(kafka_settings.kafka_bootstrap, [topics.readings_commands]) as bus:
                assert await CommandBus(broker, topics, store).resend_pending() == 1
                again = await bus.wait(lambda e: e.message_id == sent[0].message_id)
                assert again == sent[0]  # the same envelope: its consumer's inbox knows it
                assert [e for e in bus.seen if e.message_id == sent[1].message_id] == []
        finally:
            await broker.stop()
