"""Views of the resident streams, each with its checkpoint saved in the transaction that updates it and
rebuildable from zero (ProjectionRunner.rebuild).

- Residents: one row per chat (status, language, when registered or erased) and no personal data;
  an erased resident stays counted, as erased."""

from __future__ import annotations

import asyncpg
from meterbot_contracts.identity import ResidentErased, ResidentLanguageChanged, ResidentRegistered
from meterbot_platform.eventstore import RecordedEvent
from meterbot_platform.projection import Projection, message_of

_TYPES = {ResidentRegistered.TYPE, ResidentLanguageChanged.TYPE, ResidentErased.TYPE}


class Residents:
    name = "residents"

    async def apply(self, conn: asyncpg.Connection, event: RecordedEvent) -> None:
        message = message_of(event, _TYPES)
        if message is None:
            return
        at = event.occurred_at
        if isinstance(message, ResidentRegistered):
            await conn.execute(
                """
                INSERT INTO residents (chat_id, status, user_id, language, registered_at, updated_at)
                VALUES ($1, 'registered', $2, $3, $4, $4)
                ON CONFLICT (chat_id) DO UPDATE SET
                    status = 'registered', user_id = excluded.user_id,
                    language = coalesce(excluded.language, residents.language),
                    registered_at = excluded.registered_at, erased_at = NULL, updated_at = excluded.updated_at
                """,
                message.chat_id,
                message.user_id,
                message.language,
                at,
            )
        elif isinstance(message, ResidentLanguageChanged):
            await conn.execute(
                """
                INSERT INTO residents (chat_id, status, language, updated_at) VALUES ($1, 'new', $2, $3)
                ON CONFLICT (chat_id) DO UPDATE SET
                    language = excluded.language, updated_at = excluded.updated_at
                """,
                message.chat_id,
                message.language,
                at,
            )
        elif isinstance(message, ResidentErased):
            await conn.execute(
                "UPDATE residents SET status = 'erased', user_id = NULL, language = NULL, erased_at = $2,"
                " updated_at = $2 WHERE chat_id = $1",
                message.chat_id,
                at,
            )

    async def clear(self, conn: asyncpg.Connection) -> None:
        await conn.execute("TRUNCATE residents")


def projections() -> list[Projection]:
    return [Residents()]
