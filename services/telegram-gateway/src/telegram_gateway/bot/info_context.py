"""What the issue-15 handlers need besides Deps, injected as the dispatcher's `info` (app.attach)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import asyncpg

from telegram_gateway.info import InfoPages
from telegram_gateway.readmodel.info import InfoQueries
from telegram_gateway.storage.admin_log import AdminLog


@dataclass(frozen=True)
class Info:
    queries: InfoQueries
    log: AdminLog
    pages: InfoPages
    pool: asyncpg.Pool
    watchers: set[asyncio.Task[None]] = field(default_factory=set)  # broadcasts awaiting their count
