"""A service process outlives its broker: when the broker dies and an empty one comes back at the
same address (with the topic plan), the service neither exits nor stalls; it answers new commands.
(`meterbot up` also restarts the services on a broker crash, to republish in order; on real Kafka
nothing restarts them.)"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from meterbot_contracts.identity import PhoneShared
from meterbot_contracts.topics import ALL_TOPICS_WITH_DLQ, IDENTITY_COMMANDS, IDENTITY_EVENTS
from meterbot_localstack import LocalBroker, free_port
from meterbot_platform.broker import ensure_topics
from meterbot_testing.bus import Bus
from meterbot_testing.infra import Postgres

pytestmark = pytest.mark.integration


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


async def _registered(bootstrap: str, chat: int) -> str:
    async with Bus(bootstrap, [IDENTITY_EVENTS]) as bus:
        command = PhoneShared(chat_id=chat, user_id=chat, contact_user_id=chat, phone=f"+7900{chat}")
        answer = await bus.answer(await bus.send(IDENTITY_COMMANDS, command, key=chat), timeout=90)
        return str(answer.type)


async def test_identity_answers_after_its_broker_restarted(postgres: Postgres, tmp_path: Path) -> None:
    broker = LocalBroker(port=free_port())
    bootstrap = broker.start()
    await ensure_topics(bootstrap, ALL_TOPICS_WITH_DLQ, partitions=3)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("METERBOT_")}
    env.update(
        METERBOT_POSTGRES_DSN=postgres.dsn,
        METERBOT_KAFKA_BOOTSTRAP=bootstrap,
        METERBOT_KAFKA_IDEMPOTENT="false",
        METERBOT_KAFKA_CREATE_TOPICS="false",
        METERBOT_KAFKA_FETCH_MAX_WAIT_MS="50",
        METERBOT_HTTP_PORT=str(port),
    )
    log = (tmp_path / "identity.log").open("wb")
    service = subprocess.Popen([sys.executable, "-m", "identity"], env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 180
        while not await asyncio.to_thread(_ready, port):
            assert service.poll() is None and time.monotonic() < deadline, "identity did not start"
            await asyncio.sleep(0.5)
        assert await _registered(bootstrap, 501) == "ResidentRegistered"

        broker.stop()  # everything it held is gone
        broker.start()
        await ensure_topics(bootstrap, ALL_TOPICS_WITH_DLQ, partitions=3)

        assert await _registered(bootstrap, 502) == "ResidentRegistered"
        assert service.poll() is None, "identity exited after the broker restart"
        assert await asyncio.to_thread(_ready, port)
    finally:
        service.terminate()
        await asyncio.to_thread(service.wait, 30)
        broker.stop()
        log.close()
