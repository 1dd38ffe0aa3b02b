"""Pending requests: a command sent, its answer (an event with the same correlation id) not yet.

Rows live in PostgreSQL so that any replica consuming the event can answer, and a restart loses
nothing. A row is taken (deleted) by the event's transaction; the sweeper flags rows past their
deadline (the resident is told to try again) but keeps them a while, so a late answer still arrives."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

import asyncpg
from pydantic import BaseModel, ConfigDict

Kind = Literal["register", "link", "unlink", "reading", "withdraw", "photo"]
Outgoing = tuple[str, str, bytes]  # a command as published: topic, key, envelope


class ReplyContext(BaseModel):
    """What a reply needs that its event does not carry (stored with the pending request)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    account_number: str = ""
    meter_id: str = ""
    label: str = ""  # the meter as its button named it
    surname: str = ""  # quoted back in the wrong-pair reply (the refusal does not carry it)
    # T1/T2 entered together (issue 14): the night register and both typed values, to send again
    night_meter_id: str = ""
    night_label: str = ""
    day_raw: str = ""
    night_raw: str = ""
    photo_sha256: str = ""  # a photo sent as evidence (issue 14): its bytes go if readings refuses it


@dataclass(frozen=True)
class Pending:
    correlation_id: str
    chat_id: int
    kind: str
    locale: str
    started_at: datetime
    context: ReplyContext = field(default_factory=ReplyContext)
    timed_out: bool = False

    @classmethod
    def of(cls, row: asyncpg.Record) -> Pending:
        return cls(
            row["correlation_id"],
            row["chat_id"],
            row["kind"],
            row["locale"],
            row["started_at"],
            ReplyContext.model_validate_json(row["data"]),
            row["timed_out"],
        )


_COLUMNS = "correlation_id, chat_id, kind, locale, started_at, data::text AS data, timed_out"


class PendingStore:
    def __init__(self, pool: asyncpg.Pool, timeout: float, keep: timedelta = timedelta(days=1)) -> None:
        self._pool = pool
        self.timeout = timeout
        self._keep = keep

    async def add(self, pending: Pending, command: Outgoing | None = None) -> None:
        topic, key, body = command or (None, None, None)
        await self._pool.execute(
            "INSERT INTO pending_requests (correlation_id, chat_id, kind, locale, data, started_at, deadline,"
            " command_topic, command_key, command) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10)",
            pending.correlation_id,
            pending.chat_id,
            pending.kind,
            pending.locale,
            pending.context.model_dump_json(),
            pending.started_at,
            pending.started_at + timedelta(seconds=self.timeout),
            topic,
            key,
            body,
        )

    async def unanswered_commands(self) -> list[Outgoing]:
        """The commands of every request still waiting for its answer, oldest first."""
        rows = await self._pool.fetch(
            "SELECT command_topic, command_key, command FROM pending_requests"
            " WHERE command IS NOT NULL ORDER BY started_at"
        )
        return [(r["command_topic"], r["command_key"], bytes(r["command"])) for r in rows]

    async def discard(self, correlation_id: str) -> None:
        await self._pool.execute("DELETE FROM pending_requests WHERE correlation_id = $1", correlation_id)

    @staticmethod
    async def take(conn: asyncpg.Connection, correlation_id: str, kind: str) -> Pending | None:
        """Remove and return the request this event answers (inside the event's transaction)."""
        row = await conn.fetchrow(
            f"DELETE FROM pending_requests WHERE correlation_id = $1 AND kind = $2 RETURNING {_COLUMNS}",
            correlation_id,
            kind,
        )
        return Pending.of(row) if row else None

    async def expire(self, now: datetime | None = None, limit: int = 100) -> list[Pending]:
        """Flag requests past their deadline and return them. SKIP LOCKED: replicas share the work,
        and a row an event is taking right now is left to the event."""
        rows = await self._pool.fetch(
            f"""
            UPDATE pending_requests SET timed_out = true
            WHERE correlation_id IN (
                SELECT correlation_id FROM pending_requests
                WHERE NOT timed_out AND deadline <= $1
                ORDER BY deadline LIMIT $2 FOR UPDATE SKIP LOCKED)
            RETURNING {_COLUMNS}
            """,
            now or datetime.now(UTC),
            limit,
        )
        return [Pending.of(r) for r in rows]

    async def purge(self, now: datetime | None = None) -> int:
        """Forget answers that never came (the resident was told long ago)."""
        status = await self._pool.execute(
            "DELETE FROM pending_requests WHERE started_at < $1", (now or datetime.now(UTC)) - self._keep
        )
        return int(status.split()[-1])
