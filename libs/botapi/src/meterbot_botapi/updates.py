"""Getting updates: getUpdates long polling, setWebhook/deleteWebhook/getWebhookInfo and webhook delivery."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
import re
from typing import Any

import aiohttp
from yarl import URL

from .base import JSON, ApiError, now
from .methods import Ctx, Services
from .params import Params, Upload
from .records import Webhook
from .state import BotState, World

log = logging.getLogger(__name__)

WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_MAX_POLL_SECONDS = 600


def _allowed_updates(p: Params) -> list[str] | None:
    value = p.json("allowed_updates")
    if value is not None and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
        raise ApiError.bad_request("can't parse allowed_updates JSON array")
    return value


async def get_updates(ctx: Ctx, p: Params) -> list[JSON]:
    """Long polling: confirm ids below ``offset``, wait up to ``timeout`` s, return up to ``limit``."""
    bot = ctx.bot
    if bot.webhook is not None:
        raise ApiError(409, WEBHOOK_CONFLICT)
    offset = p.integer("offset", default=0) or 0
    limit = min(max(p.integer("limit", default=100) or 100, 1), 100)
    timeout = min(max(p.integer("timeout", default=0) or 0, 0), _MAX_POLL_SECONDS)
    allowed = _allowed_updates(p)
    if allowed is not None:
        bot.allowed_updates = allowed
    bot.confirm(offset)
    bot.poll_generation += 1
    generation = bot.poll_generation
    bot.touch()  # an older pending getUpdates of this bot wakes up and gets 409

    def ready() -> bool:
        return (
            bool(bot.updates)
            or bot.poll_generation != generation
            or bot.webhook is not None
            or ctx.services.closing
        )

    if timeout:
        with contextlib.suppress(TimeoutError):
            await bot.changes.wait_for(ready, timeout)
    if bot.poll_generation != generation:
        raise ApiError(409, POLL_CONFLICT)
    if bot.webhook is not None:
        raise ApiError(409, WEBHOOK_CONFLICT)
    return copy.deepcopy(bot.updates[:limit])


async def set_webhook(ctx: Ctx, p: Params) -> bool:
    bot = ctx.bot
    url = p.string("url") or ""
    secret = p.string("secret_token")
    allowed = _allowed_updates(p)
    if url:
        parsed = URL(url)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ApiError.bad_request("bad webhook: An HTTP URL must be provided for webhook")
    if secret is not None and not _SECRET_RE.match(secret):
        raise ApiError.bad_request("secret token contains unallowed characters")
    if p.boolean("drop_pending_updates"):
        bot.updates.clear()
    if allowed is not None:
        bot.allowed_updates = allowed
    max_connections = min(max(p.integer("max_connections", default=40) or 40, 1), 100)
    bot.webhook = Webhook(url, secret, max_connections) if url else None
    bot.touch()
    ctx.services.webhook_changed(bot)
    return True


async def delete_webhook(ctx: Ctx, p: Params) -> bool:
    if p.boolean("drop_pending_updates"):
        ctx.bot.updates.clear()
    ctx.bot.webhook = None
    ctx.bot.touch()
    return True


async def get_webhook_info(ctx: Ctx, p: Params) -> JSON:
    bot, hook = ctx.bot, ctx.bot.webhook
    info: JSON = {
        "url": hook.url if hook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(bot.updates),
    }
    if hook is not None:
        info["max_connections"] = hook.max_connections
        if hook.last_error_date is not None:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
        if bot.allowed_updates:
            info["allowed_updates"] = list(bot.allowed_updates)
    return info


class WebhookDelivery:
    """POSTs each bot's queued updates to its webhook, in order, one at a time, retrying with backoff.

    A 2xx answer confirms the update; a JSON or multipart answer carrying ``method`` is executed
    (Telegram's "reply to the webhook with a method call").
    """

    def __init__(self, world: World, services: Services) -> None:
        self.world = world
        self.services = services
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))

    async def stop(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        if self._session is not None:
            await self._session.close()

    def ensure(self, bot: BotState) -> None:
        """Make sure a delivery task runs for ``bot`` if it has a webhook."""
        task = self._tasks.get(bot.bot_id)
        if bot.webhook is not None and (task is None or task.done()) and self._session is not None:
            self._tasks[bot.bot_id] = asyncio.create_task(self._run(bot), name=f"webhook-{bot.bot_id}")

    async def _run(self, bot: BotState) -> None:
        delay = 0.05
        while not self.services.closing and (hook := bot.webhook) is not None:
            delay = await self._step(bot, hook, delay)

    async def _step(self, bot: BotState, hook: Webhook, delay: float) -> float:
        """Deliver the oldest pending update (or wait for one); return the next retry delay."""

        def changed() -> bool:
            return bot.webhook is not hook or self.services.closing

        await bot.changes.wait_for(lambda: changed() or bool(bot.updates), None)
        if changed():
            return delay
        update = bot.updates[0]
        error = await self._post(bot, hook, update)
        if error is None:
            bot.updates = [u for u in bot.updates if u["update_id"] != update["update_id"]]
            bot.touch()
            return 0.05
        log.info("webhook delivery to %s failed: %s", hook.url, error)
        hook.last_error_date, hook.last_error_message = now(), error
        bot.touch()
        with contextlib.suppress(TimeoutError):
            await bot.changes.wait_for(changed, delay)
        return min(delay * 2, 5.0)

    async def _post(self, bot: BotState, hook: Webhook, update: JSON) -> str | None:
        assert self._session is not None
        headers = {SECRET_HEADER: hook.secret_token} if hook.secret_token else {}
        try:
            async with self._session.post(hook.url, json=update, headers=headers) as resp:
                if not 200 <= resp.status < 300:
                    return f"Wrong response from the webhook: {resp.status} {resp.reason}"
                reply = await _read_reply(resp)
        except (aiohttp.ClientError, TimeoutError) as e:
            return f"Connection failed: {type(e).__name__}: {e}"
        if reply and isinstance(reply.get("method"), str):
            params = Params({k: v for k, v in reply.items() if k != "method"})
            try:
                from .table import call_method

                await call_method(Ctx(self.world, bot, self.services), reply["method"], params)
            except ApiError as e:
                log.warning("webhook reply %s failed: %s", reply["method"], e.description)
        return None


async def _read_reply(resp: aiohttp.ClientResponse) -> dict[str, Any] | None:
    """A method call in the webhook's answer body (JSON or multipart/form-data), if any."""
    if resp.content_type == "application/json":
        try:
            body = json.loads(await resp.read() or b"null")
        except ValueError:
            return None
        return body if isinstance(body, dict) else None
    if resp.content_type.startswith("multipart/"):
        reply: dict[str, Any] = {}
        reader = aiohttp.MultipartReader(resp.headers, resp.content)
        while (part := await reader.next()) is not None:
            if isinstance(part, aiohttp.BodyPartReader) and part.name:
                data = await part.read()
                reply[part.name] = (
                    Upload(part.filename, part.headers.get("Content-Type"), bytes(data))
                    if part.filename
                    else bytes(data).decode()
                )
        return reply
    return None
