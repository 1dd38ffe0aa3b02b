"""What the gateway itself notes about chats (not from events): the phone a resident shared (shown
to the administrator with their message; forgotten with the resident on ResidentErased), and
which group chats were already told that the bot works in private chats only."""

from __future__ import annotations

import asyncpg


class ChatNotes:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def remember_phone(self, chat_id: int, phone: str) -> None:
        await self._pool.execute(
            "INSERT INTO resident_contacts (chat_id, phone) VALUES ($1, $2)"
            " ON CONFLICT (chat_id) DO UPDATE SET phone = EXCLUDED.phone, updated_at = now()",
            chat_id,
            phone,
        )

    async def phone(self, chat_id: int) -> str | None:
        phone: str | None = await self._pool.fetchval(
            "SELECT phone FROM resident_contacts WHERE chat_id = $1", chat_id
        )
        return phone

    async def first_group_notice(self, chat_id: int) -> bool:
        """True once per group chat: the first time it writes to the bot."""
        inserted = await self._pool.fetchval(
            "INSERT INTO group_chats_told (chat_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING true",
            chat_id,
        )
        return bool(inserted)
