"""Webhook mode: Telegram POSTs updates to a route on the service's own HTTP port. Requests without
the configured secret token header are rejected; accepted updates are handled in the background so
Telegram gets its 200 at once."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets

from aiogram import Bot, Dispatcher
from aiohttp import web

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_route(path: str, secret: str, dispatcher: Dispatcher, bot: Bot) -> web.RouteDef:
    if not secret:
        raise ValueError("a webhook needs a secret token (METERBOT_TELEGRAM_WEBHOOK_SECRET)")
    running: set[asyncio.Task[object]] = set()  # keep references until the updates are handled

    expected = secret.encode()

    async def receive(request: web.Request) -> web.Response:
        # bytes, not str: compare_digest raises on a str that is not ASCII (a 500 instead of a 401)
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        if not secrets.compare_digest(given, expected):
            return web.Response(status=401, text="unauthorized")
        try:
            update = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.Response(status=400, text="not JSON")
        task = asyncio.create_task(dispatcher.feed_raw_update(bot, update))
        running.add(task)
        task.add_done_callback(_finished)
        return web.Response(text="ok")

    def _finished(task: asyncio.Task[object]) -> None:
        running.discard(task)
        if not task.cancelled() and task.exception() is not None:
            pass  # aiogram has logged it; retrieving it keeps asyncio quiet

    return web.post(path, receive)
