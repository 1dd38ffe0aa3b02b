"""Read side: a resident's profile (the one place the contact is decrypted) and the counts."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from meterbot_contracts.identity import ResidentContactRecorded
from meterbot_platform.eventstore import EventStore

from identity.application import load_resident
from identity.crypto import ContactUnreadable, ResidentKeys, unseal
from identity.domain import ResidentPII, ResidentStatus


@dataclass(frozen=True)
class ResidentProfile:
    chat_id: int
    status: ResidentStatus
    user_id: int | None
    language: str | None
    contact: ResidentPII | None  # None: never shared, or erased (its key is gone)

    @property
    def erased(self) -> bool:
        return self.status == "erased"


async def resident_profile(
    conn: asyncpg.Connection, chat_id: int, store: EventStore | None = None, keys: ResidentKeys | None = None
) -> ResidentProfile | None:
    """The resident's profile with the latest contact decrypted; None for a chat identity never saw."""
    state, messages, version = await load_resident(conn, store or EventStore(), chat_id)
    if version == 0:
        return None
    contact = None
    sealed = [m for m in messages if isinstance(m, ResidentContactRecorded)]
    if sealed and state.status == "registered":
        try:
            contact = unseal(await (keys or ResidentKeys()).get(conn, chat_id), sealed[-1])
        except ContactUnreadable:
            contact = None
    return ResidentProfile(chat_id, state.status, state.user_id, state.language, contact)


async def resident_counts(conn: asyncpg.Connection | asyncpg.Pool) -> dict[str, int]:
    """How many chats per status (new, registered, erased), from the residents view."""
    rows = await conn.fetch("SELECT status, count(*) AS n FROM residents GROUP BY status")
    counts = {"new": 0, "registered": 0, "erased": 0}
    counts.update({r["status"]: int(r["n"]) for r in rows})
    return counts
