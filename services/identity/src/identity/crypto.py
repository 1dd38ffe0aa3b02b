"""Crypto-shredding of residents' personal data.

Each resident has one data key (AES-256-GCM) in table resident_keys. Their contact is sealed under it
into a ResidentContactRecorded event; deleting the key row is the erasure: every copy of the event,
in the event store and on Kafka, becomes unreadable, while the events without personal data
(ResidentRegistered, ...) stay. A resident who registers again after erasure gets a new key (a new
key_id), so what was sealed before stays unreadable.

The associated data binds a ciphertext to its chat and key id: a sealed contact copied into another
chat's stream does not open."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from uuid import UUID, uuid4

import asyncpg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from meterbot_contracts.identity import ResidentContactRecorded

from identity.domain import ResidentPII

NONCE_BYTES = 12


@dataclass(frozen=True, repr=False)
class ResidentKey:
    chat_id: int
    key_id: UUID
    key: bytes

    def __repr__(self) -> str:  # never print a key
        return f"ResidentKey(chat_id={self.chat_id}, key_id={self.key_id})"


class ContactUnreadable(Exception):
    """The contact cannot be opened: its key was shredded, or it was tampered with."""


def new_key(chat_id: int) -> ResidentKey:
    return ResidentKey(chat_id, uuid4(), AESGCM.generate_key(bit_length=256))


def _associated(chat_id: int, key_id: UUID) -> bytes:
    return f"meterbot:resident-contact:v1:{chat_id}:{key_id}".encode()


def seal(key: ResidentKey, pii: ResidentPII) -> ResidentContactRecorded:
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key.key).encrypt(
        nonce, pii.model_dump_json().encode(), _associated(key.chat_id, key.key_id)
    )
    return ResidentContactRecorded(
        chat_id=key.chat_id,
        key_id=key.key_id,
        nonce=base64.b64encode(nonce).decode(),
        ciphertext=base64.b64encode(sealed).decode(),
    )


def unseal(key: ResidentKey | None, contact: ResidentContactRecorded) -> ResidentPII:
    """The contact in clear; ContactUnreadable if the key is gone (or not the one that sealed it)."""
    if key is None or key.key_id != contact.key_id or key.chat_id != contact.chat_id:
        raise ContactUnreadable(f"no key {contact.key_id} for chat {contact.chat_id}")
    try:
        plain = AESGCM(key.key).decrypt(
            base64.b64decode(contact.nonce),
            base64.b64decode(contact.ciphertext),
            _associated(contact.chat_id, contact.key_id),
        )
    except InvalidTag:
        raise ContactUnreadable(f"contact of chat {contact.chat_id} does not open") from None
    return ResidentPII.model_validate_json(plain)


class ResidentKeys:
    """Table resident_keys. Every call runs in the caller's transaction."""

    async def get(self, conn: asyncpg.Connection, chat_id: int) -> ResidentKey | None:
        row = await conn.fetchrow("SELECT key_id, key FROM resident_keys WHERE chat_id = $1", chat_id)
        return ResidentKey(chat_id, row["key_id"], bytes(row["key"])) if row else None

    async def get_or_create(self, conn: asyncpg.Connection, chat_id: int) -> ResidentKey:
        """The resident's key, made on first use. Two concurrent first uses get the same key (the
        second insert waits for the first and then finds its row)."""
        fresh = new_key(chat_id)
        await conn.execute(
            "INSERT INTO resident_keys (chat_id, key_id, key) VALUES ($1, $2, $3)"
            " ON CONFLICT (chat_id) DO NOTHING",
            chat_id,
            fresh.key_id,
            fresh.key,
        )
        key = await self.get(conn, chat_id)
        assert key is not None
        return key

    async def shred(self, conn: asyncpg.Connection, chat_id: int) -> bool:
        """Delete the resident's key; True if there was one."""
        return bool(await conn.execute("DELETE FROM resident_keys WHERE chat_id = $1", chat_id) == "DELETE 1")
