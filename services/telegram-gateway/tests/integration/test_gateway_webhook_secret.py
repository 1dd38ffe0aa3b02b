"""The webhook route answers 401 to a wrong secret of any kind (issue 18, item 7): a non-ASCII
header made compare_digest raise, a 500 that told a prober more than it should."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiogram import Bot, Dispatcher
from aiohttp import web
from meterbot_localstack import free_port
from telegram_gateway.webhook import SECRET_HEADER, webhook_route

pytestmark = pytest.mark.integration


@pytest.fixture
async def hook_url() -> AsyncIterator[str]:
    app = web.Application()
    app.add_routes([webhook_route("/hook", "s3cret-token", Dispatcher(), Bot("1:unused-token"))])
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}/hook"
    await runner.cleanup()


@pytest.mark.parametrize(
    "secret",
    [None, "", "wrong", "s3cret-tokeN", "секрет".encode().decode("latin-1"), "s3cret-tokenÿ", "ключ"],
)
async def test_a_wrong_secret_of_any_kind_is_401(hook_url: str, secret: str | None) -> None:
    headers = {} if secret is None else {SECRET_HEADER: secret}
    async with (
        aiohttp.ClientSession() as http,
        http.post(hook_url, json={"update_id": 1}, headers=headers) as r,
    ):
        assert r.status == 401


async def test_the_right_secret_is_accepted(hook_url: str) -> None:
    headers = {SECRET_HEADER: "s3cret-token"}
    async with (
        aiohttp.ClientSession() as http,
        http.post(hook_url, json={"update_id": 1}, headers=headers) as r,
    ):
        assert r.status == 200
