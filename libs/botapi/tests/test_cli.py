"""``python -m meterbot_botapi`` serves the API standalone."""

from __future__ import annotations

import asyncio
import re
import sys

import aiohttp
import pytest

pytestmark = pytest.mark.integration


async def test_cli_serves_until_terminated() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "meterbot_botapi", "--port", "0", "--token", "42:cli-secret",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
        match = re.search(r"(http://127\.0\.0\.1:\d+)", line)
        assert match is not None, line
        base = match.group(1)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/bot42:cli-secret/getMe") as resp:
                assert (await resp.json())["result"]["id"] == 42
            async with http.get(f"{base}/bot43:other/getMe") as resp:  # --token restricts the accepted bots
                assert resp.status == 401
    finally:
        proc.terminate()
        assert await asyncio.wait_for(proc.wait(), 10) == 0  # SIGTERM stops it cleanly
