"""What the notice rules read (residents, their meters, this period's readings) and what they
write: one row per fact sent (notice_facts, the ReminderSent of the issue) and each chat's choice
of reminders on/off (notice_prefs)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

import asyncpg
from meterbot_contracts.readings import MeterType
from meterbot_platform.migrations import Migration

from telegram_gateway.notices.rules import Fact, MeterFacts, ResidentFacts

NOTICES_MIGRATION = Migration(
    "gateway/notices",
    """
    -- A reminder or notice sent to a chat: (kind, subject) once per chat, across restarts and replicas.
    CREATE TABLE notice_facts (
        chat_id  bigint NOT NULL,
        kind     text NOT NULL,
        subject  text NOT NULL,
        sent_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (chat_id, kind, subject)
    );
    CREATE INDEX notice_facts_kind ON notice_facts (kind, subject);
    -- Reminders are on unless the chat turned them off.
    CREATE TABLE notice_prefs (
        chat_id      bigint PRIMARY KEY,
        reminders_on boolean NOT NULL
    );
    -- Who handed a reading in (the status message on export goes to that chat).
    ALTER TABLE rm_readings ADD COLUMN chat_id bigint;
    """,
)

# Opted-out chats and closed meters are left out here already (the rules leave them out too).
_RESIDENTS = """
SELECT l.chat_id, m.meter_id, m.account_number, m.closed, m.verified_until, m.meter_type,
       EXISTS (SELECT 1 FROM rm_readings r WHERE r.meter_id = m.meter_id AND r.period = $1
               AND r.status = 'current') AS handed_in
FROM rm_links l
JOIN rm_chats c ON c.chat_id = l.chat_id
JOIN rm_meters m ON m.account_number = l.account_number
LEFT JOIN notice_prefs p ON p.chat_id = l.chat_id
WHERE coalesce(p.reminders_on, true) AND NOT m.closed
ORDER BY l.chat_id
"""
# Chats that talked to the bot since $1 (an unasked message would cut into the conversation).
_BUSY = """
SELECT chat_id FROM rm_links WHERE linked_at > $1
UNION SELECT chat_id FROM fsm_states WHERE updated_at > $1
UNION SELECT chat_id FROM pending_requests WHERE started_at > $1
"""


async def residents(conn: asyncpg.Connection, period: str, busy_since: datetime) -> list[ResidentFacts]:
    busy = {r["chat_id"] for r in await conn.fetch(_BUSY, busy_since)}
    meters: dict[int, list[MeterFacts]] = defaultdict(list)
    for r in await conn.fetch(_RESIDENTS, period):
        meters[r["chat_id"]].append(
            MeterFacts(
                r["meter_id"],
                r["account_number"],
                r["closed"],
                r["verified_until"],
                r["handed_in"],
                MeterType(r["meter_type"]),
            )
        )
    return [ResidentFacts(chat_id, True, tuple(ms), chat_id in busy) for chat_id, ms in meters.items()]


async def sent_facts(conn: asyncpg.Connection, period: str) -> dict[int, set[Fact]]:
    """The facts that can still matter: this period's reminders and every verification notice."""
    facts: dict[int, set[Fact]] = defaultdict(set)
    rows = await conn.fetch(
        "SELECT chat_id, kind, subject FROM notice_facts WHERE subject = $1 OR kind LIKE 'verify%'", period
    )
    for r in rows:
        facts[r["chat_id"]].add((r["kind"], r["subject"]))
    return facts


async def period_closed(conn: asyncpg.Connection, period: str) -> bool:
    return bool(await conn.fetchval("SELECT true FROM rm_closed_periods WHERE period = $1", period))


async def languages(conn: asyncpg.Connection, chat_ids: Sequence[int]) -> dict[int, str | None]:
    """Each chat's language for the messages nobody asked for, by the rule replies follow: the one
    chosen with /language, else its Telegram language (recorded at registration). Every queued
    notice and status push takes its language from here."""
    rows = await conn.fetch(
        """SELECT c.chat_id, coalesce(l.locale, c.language) AS language FROM rm_chats c
           LEFT JOIN chat_languages l USING (chat_id) WHERE c.chat_id = ANY($1::bigint[])""",
        list(chat_ids),
    )
    return {r["chat_id"]: r["language"] for r in rows}


class NoticePrefs:
    """Each chat's choice of reminders (on unless turned off)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def reminders_on(self, chat_id: int) -> bool:
        on = await self._pool.fetchval("SELECT reminders_on FROM notice_prefs WHERE chat_id = $1", chat_id)
        return on is not False

    async def toggle(self, chat_id: int) -> bool:
        """Flip the chat's choice; returns the new one."""
        on: bool = await self._pool.fetchval(
            "INSERT INTO notice_prefs AS p (chat_id, reminders_on) VALUES ($1, false)"
            " ON CONFLICT (chat_id) DO UPDATE SET reminders_on = NOT p.reminders_on RETURNING reminders_on",
            chat_id,
        )
        return on
