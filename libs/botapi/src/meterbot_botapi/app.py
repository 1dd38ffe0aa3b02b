"""The aiohttp application: Bot API routes, file downloads, the /_test resident API and the web chat."""

from __future__ import annotations

import logging

from aiohttp import web

from .base import ApiError
from .flood import FloodLimit
from .methods import Ctx
from .params import Params
from .resident_http import add_resident_routes
from .state import BotState, World
from .table import call_method
from .updates import WebhookDelivery
from .webchat import DEFAULT_TIME_ZONE, add_webchat_routes

log = logging.getLogger(__name__)
_MAX_BODY = 64 * 1024 * 1024


class ServerContext:
    """Runtime services shared by handlers: the world, webhook delivery, the closing flag."""

    def __init__(self, world: World, flood: FloodLimit | None = None) -> None:
        self.world = world
        self.closing = False
        self.flood = flood
        self.webhooks = WebhookDelivery(world, self)

    def webhook_changed(self, bot: BotState) -> None:
        self.webhooks.ensure(bot)


CONTEXT = web.AppKey("meterbot_botapi_context", ServerContext)


def create_app(
    world: World | None = None,
    *,
    webchat: bool = True,
    time_zone: str = DEFAULT_TIME_ZONE,
    flood: FloodLimit | None = None,
) -> web.Application:
    """An aiohttp app serving ``world`` (a fresh one by default); ``webchat`` adds the chat page at ``/``
    (showing times in ``time_zone``); ``flood`` turns on Telegram-like 429s (off by default)."""
    app = web.Application(client_max_size=_MAX_BODY)
    context = ServerContext(world if world is not None else World(), flood)
    app[CONTEXT] = context
    for http_method in ("GET", "POST"):
        app.router.add_route(http_method, "/bot{token}/{method}", handle_method)
    app.router.add_get("/file/bot{token}/{file_path:.+}", handle_file)
    add_resident_routes(app, context.world)
    if webchat:
        add_webchat_routes(app, time_zone)
    app.on_startup.append(_on_startup)
    app.on_shutdown.append(_on_shutdown)
    app.on_cleanup.append(_on_cleanup)
    return app


async def handle_method(request: web.Request) -> web.Response:
    """``/bot<token>/<method>`` -> ``{"ok": true, "result": ...}`` or a Bot API error."""
    context = request.app[CONTEXT]
    try:
        bot = context.world.authenticate(request.match_info["token"])
        params = await Params.from_request(request)
        result = await call_method(Ctx(context.world, bot, context), request.match_info["method"], params)
    except ApiError as e:
        return web.json_response(e.as_json(), status=e.error_code)
    except Exception:
        log.exception("method %s failed", request.match_info["method"])
        error = ApiError(500, "Internal Server Error")
        return web.json_response(error.as_json(), status=500)
    return web.json_response({"ok": True, "result": result})


async def handle_file(request: web.Request) -> web.Response:
    """The bytes of a file getFile named, as Telegram's file server serves them (404 if unknown)."""
    context = request.app[CONTEXT]
    try:
        bot = context.world.authenticate(request.match_info["token"])
    except ApiError as e:
        return web.json_response(e.as_json(), status=e.error_code)
    path = request.match_info["file_path"]
    stored = next((f for f in bot.files.values() if f.file_path == path), None)
    if stored is None:
        return web.json_response(ApiError(404, "Not Found").as_json(), status=404)
    return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")


async def _on_startup(app: web.Application) -> None:
    context = app[CONTEXT]
    context.closing = False
    await context.webhooks.start()
    for bot in context.world.bots.values():
        context.webhooks.ensure(bot)


async def _on_shutdown(app: web.Application) -> None:
    """Release long polls and webhook loops so the server stops at once."""
    context = app[CONTEXT]
    context.closing = True
    for bot in context.world.bots.values():
        bot.changes.notify()


async def _on_cleanup(app: web.Application) -> None:
    await app[CONTEXT].webhooks.stop()
