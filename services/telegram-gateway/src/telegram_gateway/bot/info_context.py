"""What the issue-15 handlers need besides Deps, injected as the dispatcher's `info` (app.attach)."""

from __future__ import annotations

from dataclasses import dataclass

from telegram_gateway.bot.pushes import PacedPusher
from telegram_gateway.info import InfoPages
from telegram_gateway.readmodel.info import InfoQueries
from telegram_gateway.storage.admin_log import AdminLog


@dataclass(frozen=True)
class Info:
    queries: InfoQueries
    log: AdminLog
    pages: InfoPages
    pusher: PacedPusher
