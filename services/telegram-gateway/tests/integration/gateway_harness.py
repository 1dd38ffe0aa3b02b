"""Run the gateway in-process exactly as main.wire does (Runtime, attach, broker, background jobs),
against a given database, broker, Bot API URL and topic names; stop and start it again at will."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import asyncpg
from aiohttp import web
from meterbot_platform.broker import make_broker, make_producer
from meterbot_platform.db import database_dsn
from meterbot_platform.http import health_app, start_http
from meterbot_platform.migrations import migrate
from meterbot_platform.runtime import PLATFORM_MIGRATIONS, Runtime
from meterbot_platform.settings import KafkaSettings, TelegramSettings
from pydantic import SecretStr
from telegram_gateway.app import SERVICE, Gateway, attach
from telegram_gateway.settings import GatewaySettings
from telegram_gateway.storage.schema import MIGRATIONS
from telegram_gateway.topics import GatewayTopics


@contextlib.asynccontextmanager
async def fresh_database(server_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    """A new database with the platform and gateway tables; dropped afterwards."""
    name = f"gw_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        pool = await asyncpg.create_pool(database_dsn(server_dsn, name), min_size=1, max_size=20)
        assert pool is not None
        try:
            await migrate(pool, (*PLATFORM_MIGRATIONS, *MIGRATIONS))
            yield pool
        finally:
            await pool.close()
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@dataclass
class GatewayHarness:
    pool: asyncpg.Pool
    kafka: KafkaSettings
    api_url: str
    token: str
    topics: GatewayTopics
    group_id: str
    admin_chat_id: int | None = None
    settings: GatewaySettings = field(default_factory=lambda: GatewaySettings(gateway_reply_timeout=10.0))
    http_port: int | None = None  # serve the service's HTTP routes (webhook, /healthz) like run_service
    gateway: Gateway | None = None
    runtime: Runtime | None = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _http: web.AppRunner | None = None

    async def start(self) -> Gateway:
        runtime = Runtime(
            SERVICE, self.pool, make_broker(self.kafka, SERVICE), make_producer(self.kafka, SERVICE)
        )
        telegram = TelegramSettings(
            telegram_token=SecretStr(self.token),
            telegram_api_url=self.api_url,
            admin_chat_id=self.admin_chat_id,
        )
        self.gateway = await attach(
            runtime, telegram=telegram, settings=self.settings, topics=self.topics, group_id=self.group_id
        )
        await runtime.broker.start()
        self.runtime = runtime
        if self.http_port is not None:
            self._http = await start_http(health_app({}, runtime.routes), "127.0.0.1", self.http_port)
        self._tasks = [asyncio.create_task(job()) for job in runtime.background]
        return self.gateway

    async def stop(self) -> None:
        """Like a process stop: background jobs cancelled (polling ends), broker closed."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if self._http is not None:
            await self._http.cleanup()
            self._http = None
        if self.runtime is not None:
            await self.runtime.broker.stop()
            self.runtime = None

    async def __aenter__(self) -> GatewayHarness:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def wait_for(self, sql: str, *args: object, timeout: float = 15.0) -> None:
        """Until `sql` returns a truthy value (e.g. a read-model row the test depends on)."""
        async with asyncio.timeout(timeout):
            # polling the database: there is nothing to await
            while not await self.pool.fetchval(sql, *args):  # noqa: ASYNC110
                await asyncio.sleep(0.02)
