"""The loop that turns the due rules into queued messages. Every gateway replica runs it; each round
is one transaction that first takes a transaction-level advisory lock (a replica that does not get
it skips the round), records each fact in notice_facts and enqueues its message in that same
transaction. Exactly once per resident, period and kind therefore holds twice over: the facts'
primary key, and the queue's dedupe key -- across restarts (all in PostgreSQL) and replicas."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
from meterbot_contracts.period import period_of
from meterbot_contracts.window import SubmissionWindow

from telegram_gateway.i18n import Catalogue
from telegram_gateway.notices import store
from telegram_gateway.notices.messages import Notice, reminder_notice, verification_notice
from telegram_gateway.notices.rules import ReminderDue, all_due
from telegram_gateway.outbound import Outgoing, enqueue_many

log = logging.getLogger(__name__)

_LOCK_KEY = 0x6E6F74696365  # "notice": one replica computes a round at a time
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class NoticeScheduler:
    def __init__(
        self,
        pool: asyncpg.Pool,
        catalogue: Catalogue,
        *,
        window: SubmissionWindow,
        tz: ZoneInfo,
        days_before_close: int,
        interval: float = 60.0,
        quiet: float = 600.0,
        clock: Clock = utc_now,
    ) -> None:
        self._pool, self._catalogue, self._window, self._tz = pool, catalogue, window, tz
        self._days_before_close, self.interval, self._clock = days_before_close, interval, clock
        self._quiet = timedelta(seconds=quiet)

    async def run_once(self) -> int:
        """One round: returns how many messages it queued (0 if another replica held the round)."""
        now = self._clock()
        today, period = now.astimezone(self._tz).date(), period_of(now, self._tz)
        async with self._pool.acquire() as conn, conn.transaction():
            if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", _LOCK_KEY):
                return 0
            due = all_due(
                await store.residents(conn, period, busy_since=datetime.now(UTC) - self._quiet),
                today=today,
                period=period,
                window=self._window,
                days_before_close=self._days_before_close,
                period_closed=await store.period_closed(conn, period),
                sent=await store.sent_facts(conn, period),
            )
            if not due:
                return 0
            languages = await store.languages(conn, sorted({d.chat_id for d in due}))
            notices: list[Notice] = []
            facts = []
            for item in due:
                t = self._catalogue.texts(languages.get(item.chat_id))
                if isinstance(item, ReminderDue):
                    notices.append(reminder_notice(t, item, self._window))
                else:
                    notices.append(verification_notice(t, item))
                facts.append((item.chat_id, *item.fact))
            await conn.executemany(
                "INSERT INTO notice_facts (chat_id, kind, subject) VALUES ($1, $2, $3)"
                " ON CONFLICT DO NOTHING",
                facts,
            )
            await enqueue_many(conn, [Outgoing(n.chat_id, n.text, n.dedupe_key, n.keyboard) for n in notices])
        log.info("queued %d reminders and notices", len(notices))
        return len(notices)

    async def run(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("notice round failed")
            await asyncio.sleep(self.interval)
