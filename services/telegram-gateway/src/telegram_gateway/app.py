"""Assembling the gateway on a Runtime: bot, dispatcher with PostgreSQL FSM storage, event
consumer, timeout sweeper, polling or webhook. main.py calls it with production settings; tests
call it with suffixed topics and their own group id."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from aiogram import Bot, Dispatcher
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.types import BotCommand
from meterbot_contracts.all import default_registry
from meterbot_platform.consumer import subscribe_batch
from meterbot_platform.runtime import Runtime
from meterbot_platform.settings import TelegramSettings

from telegram_gateway.aiogram_import import warm_up
from telegram_gateway.bot.context import Deps
from telegram_gateway.bot.info_wiring import attach_info
from telegram_gateway.bot.middlewares import GatewayMiddleware, MenuEscape, PrivateChatsOnly
from telegram_gateway.bot.ratelimit import RateLimiter
from telegram_gateway.bot.resume import InputResumer
from telegram_gateway.bot.routers import get_routers
from telegram_gateway.bot.session import TolerantSession
from telegram_gateway.chart import warm_up_then_idle
from telegram_gateway.commands import CommandBus
from telegram_gateway.i18n import Catalogue, load_catalogue
from telegram_gateway.messenger import BotMessenger, Messenger, NullMessenger
from telegram_gateway.notices import NoticePrefs, NoticeScheduler
from telegram_gateway.outbound import OutboundSender
from telegram_gateway.readmodel import ReadModel
from telegram_gateway.responder import Responder
from telegram_gateway.settings import GatewaySettings
from telegram_gateway.storage.admin_relay import AdminRelay
from telegram_gateway.storage.chat_notes import ChatNotes
from telegram_gateway.storage.fsm import PostgresStorage
from telegram_gateway.storage.pending import PendingStore
from telegram_gateway.storage.photos import PhotoStore
from telegram_gateway.sweeper import TimeoutSweeper
from telegram_gateway.topics import GatewayTopics
from telegram_gateway.webhook import webhook_route

log = logging.getLogger(__name__)

SERVICE = "telegram-gateway"
# Buttons that leave any input (see MenuEscape).
ESCAPE_BUTTONS = (
    "btn.write_admin",
    "btn.start_work",
    "btn.add_account",
    "btn.select_account",
    "btn.remove_account",
    "btn.exit",
)


@dataclass
class Gateway:
    """What attach() built; tests reach into it, production only runs runtime.background."""

    catalogue: Catalogue
    responder: Responder
    sweeper: TimeoutSweeper
    bot: Bot | None = None
    dispatcher: Dispatcher | None = None
    limiter: RateLimiter | None = None
    notices: NoticeScheduler | None = None  # reminders and verification notices (with a bot)


def build_bot(telegram: TelegramSettings) -> Bot | None:
    if telegram.telegram_token is None:
        return None
    session = TolerantSession(api=TelegramAPIServer.from_base(telegram.telegram_api_url), service=SERVICE)
    return Bot(telegram.telegram_token.get_secret_value(), session=session)


def build_dispatcher(deps: Deps, storage: PostgresStorage, limiter: RateLimiter) -> Dispatcher:
    # SimpleEventIsolation: one update per chat at a time in this process, so FSM steps never race.
    dp = Dispatcher(storage=storage, events_isolation=SimpleEventIsolation())
    dp["deps"] = deps
    exempt = [deps.admin_chat_id] if deps.admin_chat_id is not None else []
    dp.update.outer_middleware(GatewayMiddleware(deps.catalogue, limiter, SERVICE, exempt))
    dp.update.outer_middleware(PrivateChatsOnly(deps.notes, deps.admin_chat_id, SERVICE))
    dp.message.outer_middleware(
        MenuEscape([lb for key in ESCAPE_BUTTONS for lb in deps.catalogue.labels(key)])
    )
    dp.include_routers(*get_routers(deps.catalogue, deps.admin_chat_id))
    return dp


def text_params(settings: GatewaySettings) -> dict[str, str]:
    """Settings the texts quote (help, refusals): one source, so a text never contradicts them."""
    return {
        "email": settings.support_email_shown,
        "max_delta": str(settings.readings_max_delta),
        "days": str(settings.window),
        "days_before": str(settings.reminder_days_before_close),
        "tz": settings.period_time_zone,
    }


async def setup_commands(bot: Bot, catalogue: Catalogue) -> None:
    """The command menu: default (ru) and per locale."""
    for locale in catalogue.locales:
        t = catalogue.texts(locale)
        commands = [
            BotCommand(command=c, description=t(f"cmd.{c}")) for c in ("start", "help", "exit", "erase")
        ]
        # issue 15 (seed 001): /begin and /go_back "in the menu by the input line", and /language
        commands += [
            BotCommand(command=c, description=t(f"info.cmd_{c}")) for c in ("begin", "go_back", "language")
        ]
        await bot.set_my_commands(commands, language_code=None if locale == catalogue.default else locale)


async def attach(
    runtime: Runtime,
    *,
    telegram: TelegramSettings,
    settings: GatewaySettings,
    topics: GatewayTopics | None = None,
    group_id: str = SERVICE,
) -> Gateway:
    topics = topics or GatewayTopics()
    pool = runtime.pool
    if settings.support_email is None:
        log.warning(
            "METERBOT_SUPPORT_EMAIL is not set: residents are shown %s as the subscriber department's "
            "address; set it to your office's address",
            settings.support_email_shown,
        )
    catalogue = load_catalogue(params=text_params(settings))
    pending = PendingStore(pool, settings.gateway_reply_timeout)
    read_model = ReadModel(pool)
    bot = build_bot(telegram)
    if bot is not None:
        warm_up()  # aiogram's types are built on first use (aiogram_import): the first update's, now
    storage = PostgresStorage(pool)
    photos = PhotoStore(pool, settings.photo_max_bytes)  # issue 14 item 6
    messenger: Messenger = BotMessenger(bot) if bot is not None else NullMessenger()
    responder = Responder(
        pool,
        messenger,
        catalogue,
        read_model=read_model,
        tz=settings.time_zone,
        service=SERVICE,
        window=settings.window,
        resumer=InputResumer(storage, bot.id) if bot is not None else None,
        photos=photos,
    )
    subscribe_batch(
        runtime.broker,
        topics.events,
        service=SERVICE,
        group_id=group_id,
        registry=default_registry,
        handled=responder.handled,
        handler=responder.handle_batch,
        options=runtime.consumers,
    )
    sweeper = TimeoutSweeper(pending, messenger, catalogue, service=SERVICE)
    runtime.background.append(sweeper.run)
    gateway = Gateway(catalogue, responder, sweeper)
    if bot is None:
        log.warning(
            "METERBOT_TELEGRAM_TOKEN is not set: the gateway runs without a Telegram bot "
            "(it keeps its read model from events and serves /healthz, but answers nobody)"
        )
        return gateway
    commands = CommandBus(runtime.broker, topics, pending)
    runtime.background.append(commands.resend_then_idle)
    runtime.background.append(warm_up_then_idle)  # the archive chart's matplotlib, off the loop
    deps = Deps(
        read_model,
        commands,
        AdminRelay(pool),
        ChatNotes(pool),
        catalogue,
        settings.time_zone,
        telegram.admin_chat_id,
        admin_chat_trusted=settings.admin_chat_trusted,
        window=settings.window,
        prefs=NoticePrefs(pool),
    )
    limiter = RateLimiter(settings.gateway_rate_limit_messages, settings.gateway_rate_limit_window)
    dp = build_dispatcher(deps, storage, limiter)
    attach_info(dp, deps, pool, runtime.store)  # issue 15
    dp["photos"] = photos  # issue 14 item 6: bot/routers/photos.py
    gateway.bot, gateway.dispatcher, gateway.limiter = bot, dp, limiter
    outbound = OutboundSender(
        pool,
        bot,
        rate=settings.outbound_messages_per_second,
        chat_gap=settings.outbound_chat_interval,
        service=SERVICE,
    )
    runtime.background.append(outbound.run)
    gateway.notices = NoticeScheduler(
        pool,
        catalogue,
        window=settings.window,
        tz=settings.time_zone,
        days_before_close=settings.reminder_days_before_close,
        interval=settings.notices_interval,
        quiet=settings.notices_quiet,
    )
    runtime.background.append(gateway.notices.run)
    if settings.webhook_enabled:
        secret = (
            settings.telegram_webhook_secret.get_secret_value() if settings.telegram_webhook_secret else ""
        )
        runtime.routes.append(webhook_route(settings.webhook_path, secret, dp, bot))
        runtime.background.append(lambda: _serve_webhook(bot, dp, catalogue, settings, secret))
    else:
        runtime.background.append(lambda: _poll(bot, dp, catalogue))
    return gateway


async def _prepare(bot: Bot, catalogue: Catalogue) -> None:
    try:
        await setup_commands(bot, catalogue)
    except TelegramAPIError as exc:  # cosmetic: the bot works without a command menu
        log.warning("setMyCommands failed: %s", exc)


async def _poll(bot: Bot, dp: Dispatcher, catalogue: Catalogue) -> None:
    try:
        await _prepare(bot, catalogue)
        await bot.delete_webhook(drop_pending_updates=False)  # getUpdates is refused while one is set
        polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, close_bot_session=False))
        try:
            await asyncio.shield(polling)
        except asyncio.CancelledError:
            # Cancelling start_polling leaves its inner getUpdates loop running: stop it properly.
            await _stop_polling(dp, polling)
            raise
    finally:
        await bot.session.close()  # after polling: event replies used the same session until now


async def _stop_polling(dp: Dispatcher, polling: asyncio.Task[None]) -> None:
    with contextlib.suppress(RuntimeError, TimeoutError):  # RuntimeError: it had not started yet
        await asyncio.wait_for(dp.stop_polling(), 5)
    polling.cancel()
    with contextlib.suppress(BaseException):
        await polling


async def _serve_webhook(
    bot: Bot, dp: Dispatcher, catalogue: Catalogue, settings: GatewaySettings, secret: str
) -> None:
    try:
        await _prepare(bot, catalogue)
        await bot.set_webhook(
            str(settings.telegram_webhook_url),
            secret_token=secret,
            allowed_updates=dp.resolve_used_update_types(),
        )
        log.info("webhook set; updates arrive on %s", settings.webhook_path)
        await asyncio.Event().wait()  # updates come in through the HTTP route
    finally:
        with contextlib.suppress(Exception):
            await bot.session.close()
