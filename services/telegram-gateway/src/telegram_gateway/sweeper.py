"""Tells residents whose request got no answering event in time to try again later. The command is
on Kafka and will still be processed; a late answer is still delivered (the row stays a while)."""

from __future__ import annotations

import asyncio
import logging
import time

from telegram_gateway.i18n import Catalogue
from telegram_gateway.messenger import Messenger
from telegram_gateway.metrics import REPLIES_TIMED_OUT
from telegram_gateway.storage.pending import PendingStore

log = logging.getLogger(__name__)


class TimeoutSweeper:
    def __init__(
        self,
        pending: PendingStore,
        messenger: Messenger,
        catalogue: Catalogue,
        *,
        service: str,
        interval: float | None = None,
        purge_every: float = 600.0,
    ) -> None:
        self._pending, self._messenger, self._catalogue, self._service = (
            pending,
            messenger,
            catalogue,
            service,
        )
        self.interval = interval if interval is not None else min(1.0, pending.timeout / 4)
        self._purge_every = purge_every
        self._last_purge = 0.0

    async def sweep_once(self) -> int:
        expired = await self._pending.expire()
        for request in expired:
            REPLIES_TIMED_OUT.labels(self._service).inc()
            t = self._catalogue.texts(request.locale)
            await self._messenger.send(request.chat_id, t("common.timeout"))
        if time.monotonic() - self._last_purge > self._purge_every:
            self._last_purge = time.monotonic()
            await self._pending.purge()
        return len(expired)

    async def run(self) -> None:
        while True:
            try:
                await self.sweep_once()
            except Exception:
                log.exception("timeout sweep failed")
            await asyncio.sleep(self.interval)
