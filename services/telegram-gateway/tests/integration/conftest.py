"""Fixtures for the gateway over real infrastructure: PostgreSQL and Kafka (shared fixtures), the
local Telegram Bot API server, and a double of the domain services. One gateway serves all flow
tests of the session (a consumer-group join costs seconds); each test talks as new residents."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from meterbot_botapi import BotApiServer
from meterbot_contracts.identity import PhoneShared, ResidentRegistered, ResidentRegistrationRefused
from meterbot_platform.broker import ensure_topics
from meterbot_platform.settings import KafkaSettings
from meterbot_testing.infra import Postgres
from meterbot_testing.resident import ResidentDriver, ResidentFactory
from meterbot_testing.services import ServiceDouble
from telegram_gateway.i18n import load_catalogue
from telegram_gateway.settings import GatewaySettings
from telegram_gateway.topics import GatewayTopics

from .gateway_harness import GatewayHarness, fresh_database

TOKEN = "777001:gateway-test-token"
ADMIN_CHAT_ID = 990_000_001
_user_ids = itertools.count(1_000_000 + uuid.uuid4().int % 1_000_000 * 100)


def identity_rule(command: PhoneShared) -> ResidentRegistered | ResidentRegistrationRefused:
    """What identity does (DESIGN §5): one's own contact registers, someone else's is refused."""
    if command.contact_user_id != command.user_id:
        return ResidentRegistrationRefused(chat_id=command.chat_id, reason="foreign_contact")
    return ResidentRegistered(chat_id=command.chat_id, user_id=command.user_id, language=command.language)


@pytest.fixture(scope="session")
async def botapi() -> AsyncIterator[BotApiServer]:
    async with BotApiServer(host="127.0.0.1", port=0) as server:
        yield server


@pytest.fixture(scope="session")
async def gateway_pool(postgres: Postgres) -> AsyncIterator[asyncpg.Pool]:
    async with fresh_database(postgres.dsn) as pool:
        yield pool


async def make_topics(kafka_settings: KafkaSettings) -> GatewayTopics:
    topics = GatewayTopics().suffixed(uuid.uuid4().hex[:8])
    await ensure_topics(kafka_settings.kafka_bootstrap, topics.all_with_dlq(), partitions=3)
    return topics


@pytest.fixture(scope="session")
async def gateway_topics(kafka_settings: KafkaSettings) -> GatewayTopics:
    return await make_topics(kafka_settings)


@pytest.fixture(scope="session")
async def services(
    kafka_settings: KafkaSettings, gateway_topics: GatewayTopics
) -> AsyncIterator[ServiceDouble]:
    double = ServiceDouble(kafka_settings.kafka_bootstrap, gateway_topics)
    double.on(PhoneShared, identity_rule)
    await double.start()
    yield double
    await double.stop()


@pytest.fixture(scope="session")
async def gateway(
    gateway_pool: asyncpg.Pool,
    kafka_settings: KafkaSettings,
    botapi: BotApiServer,
    gateway_topics: GatewayTopics,
    services: ServiceDouble,
) -> AsyncIterator[GatewayHarness]:
    harness = GatewayHarness(
        gateway_pool,
        kafka_settings,
        botapi.base_url,
        TOKEN,
        gateway_topics,
        group_id=f"gw-{uuid.uuid4().hex[:8]}",
        admin_chat_id=ADMIN_CHAT_ID,
        # scripted residents type faster than people: flood control has its own test
        settings=GatewaySettings(
            gateway_reply_timeout=10.0,
            gateway_rate_limit_messages=10_000,
            support_email="abonent@example.org",
        ),
    )
    async with harness:
        yield harness


@pytest.fixture
def new_resident(botapi: BotApiServer) -> ResidentFactory:
    """A resident nobody has used yet (`first_name`, `language_code`, ... as profile)."""

    def make(token: str = TOKEN, **profile: object) -> ResidentDriver:
        user_id = next(_user_ids)
        profile.setdefault("first_name", f"Житель{user_id}")
        return ResidentDriver(botapi.resident(token, user_id, **profile), load_catalogue())

    return make


@pytest.fixture
async def admin(botapi: BotApiServer, gateway: GatewayHarness) -> ResidentDriver:
    """The administrator; like on Telegram, a bot can write to them once they started it."""
    driver = ResidentDriver(botapi.resident(TOKEN, ADMIN_CHAT_ID, first_name="Админ"), load_catalogue())
    if not driver.resident.bot_messages():
        await driver.say("/start")
    return driver
