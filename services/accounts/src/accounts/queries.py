"""Read side: questions answered from the views, never from the streams."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg


@dataclass(frozen=True)
class LinkedAccount:
    account_number: str
    address: str
    linked_at: datetime


async def linked_accounts(conn: asyncpg.Connection | asyncpg.Pool, chat_id: int) -> list[LinkedAccount]:
    """The accounts linked to `chat_id`, oldest link first."""
    rows = await conn.fetch(
        "SELECT account_number, address, linked_at FROM chat_accounts WHERE chat_id = $1"
        " ORDER BY linked_at, account_number",
        chat_id,
    )
    return [LinkedAccount(r["account_number"], r["address"], r["linked_at"]) for r in rows]


async def linked_chats(conn: asyncpg.Connection | asyncpg.Pool, account_number: str) -> list[int]:
    """The chats an account is linked to (a family shares one account)."""
    rows = await conn.fetch(
        "SELECT chat_id FROM chat_accounts WHERE account_number = $1 ORDER BY chat_id", account_number
    )
    return [int(r["chat_id"]) for r in rows]
