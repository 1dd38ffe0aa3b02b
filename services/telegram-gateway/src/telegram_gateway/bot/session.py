"""An aiohttp session whose getUpdates survives an update aiogram cannot parse. aiogram validates the
whole getUpdates answer at once, so one such update failed every poll from then on and polling
stopped for everyone. Here each update is checked alone; one that does not parse is replaced by an
empty update with its id (so the offset moves past it), counted, and skipped by the middleware."""

from __future__ import annotations

import json
import logging
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import GetUpdates, Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Update
from pydantic import ValidationError

from telegram_gateway.metrics import TELEGRAM_UPDATES_SKIPPED

log = logging.getLogger(__name__)


def _tolerant(bot: Bot, items: list[Any], service: str) -> list[Any]:
    kept: list[Any] = []
    for item in items:
        try:
            Update.model_validate(item, context={"bot": bot})
        except ValidationError as exc:
            TELEGRAM_UPDATES_SKIPPED.labels(service, "unparseable").inc()
            # Only the error's location and kind: an update's content is personal data.
            log.warning("skipped an update aiogram cannot parse: %s", [e["loc"] for e in exc.errors()][:3])
            update_id = item.get("update_id") if isinstance(item, dict) else None
            if isinstance(update_id, int):
                kept.append({"update_id": update_id})
            continue
        kept.append(item)
    return kept


class TolerantSession(AiohttpSession):
    def __init__(self, *args: Any, service: str = "telegram-gateway", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._service = service

    def check_response(
        self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int, content: str
    ) -> Response[TelegramType]:
        if isinstance(method, GetUpdates):
            try:
                data = json.loads(content)
            except ValueError:
                data = None
            if isinstance(data, dict) and isinstance(data.get("result"), list):
                data["result"] = _tolerant(bot, data["result"], self._service)
                content = json.dumps(data)
        return super().check_response(bot, method, status_code, content)
