"""Issue 15's part of the dispatcher: the `info` dependency and the chosen-language middleware."""

from __future__ import annotations

import asyncpg
from aiogram import Dispatcher
from meterbot_platform.eventstore import EventStore

from telegram_gateway.bot.context import Deps
from telegram_gateway.bot.info_context import Info
from telegram_gateway.bot.language import ChosenLanguage
from telegram_gateway.info import load_pages
from telegram_gateway.readmodel.info import InfoQueries
from telegram_gateway.storage.admin_log import AdminLog


def attach_info(dp: Dispatcher, deps: Deps, pool: asyncpg.Pool, store: EventStore) -> Info:
    queries = InfoQueries(pool)
    info = Info(queries, AdminLog(pool, store), load_pages(), pool)
    dp["info"] = info
    dp.update.outer_middleware(ChosenLanguage(deps.catalogue, queries))
    return info
