"""Status pushes nobody asked for, queued in the transaction that claims their event (so a
redelivered event, claimed once, queues nothing twice; the dedupe keys cover a second event
about the same fact, e.g. a period exported twice):
- PeriodClosed (billing-export exported the period): each resident who handed in readings for it
  gets one message listing what went to billing (`export:{period}:{chat_id}`);
- ReadingReconciled (billing refused a late change): the resident who made it is told
  (`reconciled:{reading_id}:{refused}:{chat_id}`);
- MeterReplaced (the registry replaced a meter): every chat linked to the account is told once
  (`replaced:{meter_id}:{chat_id}`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import asyncpg
from meterbot_contracts import Message
from meterbot_contracts.billing import PeriodClosed
from meterbot_contracts.readings import MeterReplaced, MeterType, ReadingReconciled

from telegram_gateway import replies
from telegram_gateway.bot.keyboards import meter_label
from telegram_gateway.i18n import Catalogue
from telegram_gateway.notices.messages import ExportedLine, exported_text
from telegram_gateway.notices.store import languages
from telegram_gateway.outbound import Outgoing, enqueue_many

# Readings from before the chat was recorded (chat_id NULL): the account's linked chats instead.
_EXPORTED = """
SELECT c.chat_id, r.account_number, r.meter_id, m.meter_type, r.value
FROM rm_readings r
JOIN rm_meters m ON m.meter_id = r.meter_id
LEFT JOIN rm_links l ON r.chat_id IS NULL AND l.account_number = r.account_number
JOIN rm_chats c ON c.chat_id = coalesce(r.chat_id, l.chat_id)
WHERE r.period = $1 AND r.status = 'current'
ORDER BY c.chat_id, length(r.account_number), r.account_number, m.meter_type, r.meter_id
"""


@dataclass(frozen=True)
class ExportedRow:
    chat_id: int
    language: str | None
    account_number: str
    meter_id: str
    meter_type: MeterType
    value: Decimal


def export_notices(catalogue: Catalogue, period: str, rows: Sequence[ExportedRow]) -> list[Outgoing]:
    """One message per chat (split only past Telegram's length), keyed by period and chat: the same
    export told twice (a re-export, a redelivered event) has the same keys, so it is queued once."""
    by_chat: dict[int, list[ExportedRow]] = defaultdict(list)
    for row in rows:
        by_chat[row.chat_id].append(row)
    out: list[Outgoing] = []
    for chat_id, chat_rows in by_chat.items():
        t = catalogue.texts(chat_rows[0].language)
        lines = [
            ExportedLine(
                r.account_number, meter_label(t, r.meter_type, r.meter_id), replies.format_value(t, r.value)
            )
            for r in chat_rows
        ]
        for i, part in enumerate(replies.split_text(exported_text(t, period, lines))):
            out.append(Outgoing(chat_id, part, f"export:{period}:{chat_id}" + (f":{i}" if i else "")))
    return out


async def exported_messages(conn: asyncpg.Connection, catalogue: Catalogue, period: str) -> list[Outgoing]:
    found = await conn.fetch(_EXPORTED, period)
    language = await languages(conn, sorted({r["chat_id"] for r in found}))
    rows = [
        ExportedRow(
            r["chat_id"],
            language.get(r["chat_id"]),
            r["account_number"],
            r["meter_id"],
            MeterType(r["meter_type"]),
            r["value"],
        )
        for r in found
    ]
    return export_notices(catalogue, period, rows)


async def reconciled_messages(
    conn: asyncpg.Connection, catalogue: Catalogue, event: ReadingReconciled
) -> list[Outgoing]:
    t = catalogue.texts((await languages(conn, [event.chat_id])).get(event.chat_id))
    key = f"reconciled:{event.refused_reading_id}:{event.refused}:{event.chat_id}"
    return [
        Outgoing(event.chat_id, reply.text, key + (f":{i}" if i else ""))
        for i, reply in enumerate(replies.reconciliation_reply(t, event))
    ]


async def tell_unasked(conn: asyncpg.Connection, catalogue: Catalogue, messages: Sequence[Message]) -> None:
    """Queue the status pushes these (newly claimed) events call for, after the read model took them."""
    out: list[Outgoing] = []
    for message in messages:
        if isinstance(message, PeriodClosed):
            out += await exported_messages(conn, catalogue, message.period)
        elif isinstance(message, ReadingReconciled):
            out += await reconciled_messages(conn, catalogue, message)
        elif isinstance(message, MeterReplaced):
            out += await replaced_messages(conn, catalogue, message)
    if out:
        await enqueue_many(conn, out)


async def replaced_messages(
    conn: asyncpg.Connection, catalogue: Catalogue, event: MeterReplaced
) -> list[Outgoing]:
    chats = [
        r["chat_id"]
        for r in await conn.fetch(
            "SELECT chat_id FROM rm_links WHERE account_number = $1", event.account_number
        )
    ]
    language = await languages(conn, chats)
    out: list[Outgoing] = []
    for chat_id in chats:
        key = f"replaced:{event.meter_id}:{chat_id}"
        for i, reply in enumerate(replies.replacement_notice(catalogue.texts(language.get(chat_id)), event)):
            out.append(Outgoing(chat_id, reply.text, key + (f":{i}" if i else "")))
    return out
