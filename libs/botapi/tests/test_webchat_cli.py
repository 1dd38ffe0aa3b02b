"""``python -m meterbot_botapi`` prints the web chat's address too, and serves the page there."""

from __future__ import annotations

import asyncio
import re
import sys

import aiohttp
import pytest

pytestmark = pytest.mark.integration


async def _start(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "meterbot_botapi", "--port", "0", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def _stop(proc: asyncio.subprocess.Process) -> None:
    proc.terminate()
    assert await asyncio.wait_for(proc.wait(), 10) == 0


async def test_cli_prints_the_chat_page_url() -> None:
    proc = await _start()
    try:
        assert proc.stdout is not None
        first = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
        second = (await asyncio.wait_for(proc.stdout.readline(), 5)).decode()
        base = re.search(r"(http://127\.0\.0\.1:\d+)", first)
        chat = re.search(r"^Web chat: (http://127\.0\.0\.1:\d+/) .*admin view: (\S+)\)$", second.strip())
        assert base is not None and chat is not None, (first, second)
        assert chat.group(1) == base.group(1) + "/"
        assert chat.group(2) == chat.group(1) + "admin?admin=1000"
        async with aiohttp.ClientSession() as http:
            for url in (chat.group(1), chat.group(2)):
                async with http.get(url) as resp:
                    assert resp.status == 200 and resp.content_type == "text/html"
    finally:
        await _stop(proc)


async def test_cli_without_the_page() -> None:
    proc = await _start("--no-webchat")
    try:
        assert proc.stdout is not None
        first = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
        base = re.search(r"(http://127\.0\.0\.1:\d+)", first)
        assert base is not None, first
        async with aiohttp.ClientSession() as http, http.get(base.group(1) + "/") as resp:
            assert resp.status == 404
    finally:
        await _stop(proc)
    assert proc.stdout is not None
    assert b"Web chat" not in await proc.stdout.read()


async def test_cli_admin_chat_is_open_for_every_bot() -> None:
    """``--admin-chat``: a bot may write to the admin before anyone opened the admin page."""
    proc = await _start("--admin-chat", "2024")
    try:
        assert proc.stdout is not None
        first = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
        second = (await asyncio.wait_for(proc.stdout.readline(), 5)).decode()
        base = re.search(r"(http://127\.0\.0\.1:\d+)", first)
        assert base is not None and second.strip().endswith("/admin?admin=2024)"), second
        async with aiohttp.ClientSession() as http:
            url = f"{base.group(1)}/bot77:admin-test/sendMessage"
            async with http.post(url, json={"chat_id": 2024, "text": "Сообщение от жителя"}) as resp:
                body = await resp.json()
                assert resp.status == 200, body
                assert body["result"]["chat"] == {
                    "id": 2024,
                    "type": "private",
                    "first_name": "Администратор",
                }
    finally:
        await _stop(proc)
