"""Photos residents sent as evidence for a reading (issue 14 item 6), kept in the gateway's own
PostgreSQL rather than in a directory: every replica (and a restarted pod) sees the same bytes, they
are backed up and erased with the rest of the gateway's data, and the attach record lands in the
same transaction as the event that reports it. That is affordable because each photo is capped
(METERBOT_PHOTO_MAX_BYTES, 5 MiB by default; Telegram's compressed photos are a few hundred KB) and a
resident sends at most a few a month.

The bytes are stored under their SHA-256 before the command goes out (the event carries only the
digest); ReadingPhotoAttached links the reading to them; a refusal drops bytes no reading uses (the
responder, which knows the digest from the pending request)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

import asyncpg
from meterbot_contracts import Message
from meterbot_contracts.identity import ResidentErased
from meterbot_contracts.readings import ReadingPhotoAttached

DEFAULT_PHOTO_MAX_BYTES = 5 * 1024 * 1024


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class StoredPhoto:
    reading_id: UUID
    sha256: str
    meter_id: str
    data: bytes


class PhotoStore:
    def __init__(self, pool: asyncpg.Pool, max_bytes: int = DEFAULT_PHOTO_MAX_BYTES) -> None:
        self._pool, self.max_bytes = pool, max_bytes

    async def keep(self, data: bytes) -> str:
        """Store the bytes (once per content); their SHA-256 in hex."""
        if len(data) > self.max_bytes:
            raise ValueError(f"a photo of {len(data)} bytes is above the limit of {self.max_bytes}")
        digest = sha256_hex(data)
        await self._pool.execute(
            "INSERT INTO photo_blobs (sha256, data, size) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            digest,
            data,
            len(data),
        )
        return digest

    async def of_reading(self, reading_id: UUID) -> StoredPhoto | None:
        row = await self._pool.fetchrow(
            "SELECT p.sha256, p.meter_id, b.data FROM reading_photos p"
            " JOIN photo_blobs b ON b.sha256 = p.sha256 WHERE p.reading_id = $1",
            reading_id,
        )
        if row is None:
            return None
        return StoredPhoto(reading_id, row["sha256"], row["meter_id"], bytes(row["data"]))

    async def forget_unused(self, sha256: str) -> None:
        """readings refused the photo: drop its bytes unless a reading uses the same ones."""
        await self._pool.execute(
            "DELETE FROM photo_blobs b WHERE b.sha256 = $1"
            " AND NOT EXISTS (SELECT 1 FROM reading_photos p WHERE p.sha256 = b.sha256)",
            sha256,
        )


async def _attached(conn: asyncpg.Connection, e: ReadingPhotoAttached) -> None:
    await conn.execute(
        "INSERT INTO reading_photos (reading_id, sha256, file_id, chat_id, meter_id)"
        " VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (reading_id) DO UPDATE SET sha256 = EXCLUDED.sha256, file_id = EXCLUDED.file_id,"
        " chat_id = EXCLUDED.chat_id, attached_at = now()",
        e.reading_id,
        e.sha256,
        e.file_id,
        e.chat_id,
        e.meter_id,
    )


async def apply_photos(conn: asyncpg.Connection, messages: Sequence[Message]) -> None:
    """The photo side of the read model, in the events' transaction (readmodel/projection.apply_all)."""
    for message in messages:
        if isinstance(message, ReadingPhotoAttached):
            await _attached(conn, message)
        elif isinstance(message, ResidentErased):  # the photo stays evidence of the reading, not of who
            await conn.execute("UPDATE reading_photos SET chat_id = NULL WHERE chat_id = $1", message.chat_id)
