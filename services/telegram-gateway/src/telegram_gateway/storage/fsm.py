"""aiogram FSM storage in PostgreSQL: a conversation's state survives restarts and is shared by
replicas. One row per (bot, chat, user, thread, business connection, destiny)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import asyncpg
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey

_KEY = "bot_id, chat_id, user_id, thread_id, business, destiny"
_WHERE = "bot_id = $1 AND chat_id = $2 AND user_id = $3 AND thread_id = $4 AND business = $5 AND destiny = $6"


def _key(key: StorageKey) -> tuple[int, int, int, int, str, str]:
    return (
        key.bot_id,
        key.chat_id,
        key.user_id,
        key.thread_id or 0,
        key.business_connection_id or "",
        key.destiny,
    )


class PostgresStorage(BaseStorage):
    """The pool belongs to the service; close() leaves it open."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._pool.execute(
            f"INSERT INTO fsm_states ({_KEY}, state) VALUES ($1, $2, $3, $4, $5, $6, $7) "
            f"ON CONFLICT ({_KEY}) DO UPDATE SET state = EXCLUDED.state, updated_at = now()",
            *_key(key),
            value,
        )
        if value is None:
            await self._forget_if_empty(key)

    async def get_state(self, key: StorageKey) -> str | None:
        state: str | None = await self._pool.fetchval(
            f"SELECT state FROM fsm_states WHERE {_WHERE}", *_key(key)
        )
        return state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._pool.execute(
            f"INSERT INTO fsm_states ({_KEY}, data) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) "
            f"ON CONFLICT ({_KEY}) DO UPDATE SET data = EXCLUDED.data, updated_at = now()",
            *_key(key),
            json.dumps(dict(data), ensure_ascii=False),
        )
        if not data:
            await self._forget_if_empty(key)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        raw = await self._pool.fetchval(f"SELECT data::text FROM fsm_states WHERE {_WHERE}", *_key(key))
        return dict(json.loads(raw)) if raw else {}

    async def close(self) -> None:
        """Nothing to release: the service's pool outlives the dispatcher."""

    async def _forget_if_empty(self, key: StorageKey) -> None:
        # Keep the table to live conversations only.
        await self._pool.execute(
            f"DELETE FROM fsm_states WHERE {_WHERE} AND state IS NULL AND data = '{{}}'::jsonb", *_key(key)
        )
