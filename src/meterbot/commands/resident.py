"""`meterbot resident erase (--chat-id N | --phone +7...)`: forget a resident, as «Удалить мои данные»
does from the bot (an operator acting on a request by letter, e-mail or phone).

It publishes ResidentErasureRequested for the chat on meterbot.identity.commands. identity shreds the
resident's key (their phone and name become unreadable in every copy) and records ResidentErased;
accounts unlinks the chat from its accounts, readings and the bot's read model follow. Readings
already handed in stay: they belong to the account, for billing.

--phone finds the chat in identity's store by opening each resident's sealed contact (so it needs
the PostgreSQL server: METERBOT_POSTGRES_DSN or a running `meterbot up`). Exit code: 0 requested,
1 no resident with that phone, 2 usage, database or Kafka error."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

import asyncpg
from identity.application import resident_stream
from identity.crypto import ContactUnreadable, ResidentKeys, unseal
from identity.domain.resident import normalize_phone
from meterbot_contracts import new_envelope
from meterbot_contracts.identity import ResidentContactRecorded, ResidentErasureRequested
from meterbot_contracts.topics import IDENTITY_COMMANDS
from meterbot_platform.broker import running_producer, send_all
from meterbot_platform.db import database_dsn
from meterbot_platform.settings import KafkaSettings, PostgresSettings

from meterbot import state
from meterbot.commands import nested_command
from meterbot.commands.publishing import kafka_settings

EXIT_OK, EXIT_NOT_FOUND, EXIT_ERROR = 0, 1, 2


def same_number(phone: str) -> str:
    """Digits only, a Russian trunk prefix 8 read as +7 (people say "8 916 ...")."""
    digits = str(normalize_phone(phone)).lstrip("+")
    return "7" + digits[1:] if len(digits) == 11 and digits.startswith("8") else digits


async def chat_of_phone(server_dsn: str, phone: str, database: str = "identity") -> int | None:
    """The chat whose latest shared contact has this phone (any spelling), if any."""
    wanted = same_number(phone)
    conn = await asyncpg.connect(database_dsn(server_dsn, database))
    try:
        keys = ResidentKeys()
        for row in await conn.fetch("SELECT chat_id FROM resident_keys ORDER BY chat_id"):
            chat_id = int(row["chat_id"])
            data = await conn.fetchval(
                "SELECT data::text FROM events WHERE stream_id = $1 AND type = $2"
                " ORDER BY stream_version DESC LIMIT 1",
                resident_stream(chat_id),
                ResidentContactRecorded.TYPE,
            )
            if data is None:
                continue
            try:
                contact = unseal(
                    await keys.get(conn, chat_id), ResidentContactRecorded.model_validate_json(data)
                )
            except ContactUnreadable:
                continue
            if same_number(contact.phone) == wanted:
                return chat_id
    finally:
        await conn.close()
    return None


async def request_erasure(chat_id: int, kafka: KafkaSettings) -> str:
    """Publish the request; its message id once the broker acknowledged it."""
    envelope = new_envelope(
        ResidentErasureRequested(chat_id=chat_id), correlation_id=f"resident-erase-{chat_id}"
    )
    async with running_producer(kafka, "meterbot-resident-erase") as producer:
        await send_all(producer, [(IDENTITY_COMMANDS, str(chat_id), envelope)])
    return str(envelope.message_id)


async def erase(chat_id: int | None, phone: str | None) -> int:
    try:
        if chat_id is None:
            assert phone is not None
            dsn = state.settings_env().get("METERBOT_POSTGRES_DSN") or PostgresSettings().postgres_dsn
            chat_id = await chat_of_phone(dsn, phone)
            if chat_id is None:
                sys.stderr.write("meterbot resident erase: no resident has shared that phone\n")
                return EXIT_NOT_FOUND
        message_id = await request_erasure(chat_id, kafka_settings())
    except (OSError, asyncpg.PostgresError) as exc:
        sys.stderr.write(f"meterbot resident erase: {type(exc).__name__}: {exc}\n")
        return EXIT_ERROR
    print(f"erasure of chat {chat_id} requested (message {message_id} on {IDENTITY_COMMANDS})")
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    return asyncio.run(erase(args.chat_id, args.phone))


def register(subparsers: Any) -> None:
    """Add `resident erase (--chat-id N | --phone P)` to the `meterbot` command."""
    command = nested_command(
        subparsers,
        "resident erase",
        group_help="residents' personal data",
        help="forget a resident (phone, name, links to accounts)",
        doc=__doc__,
    )
    who = command.add_mutually_exclusive_group(required=True)
    who.add_argument("--chat-id", type=int, help="the resident's Telegram chat id")
    who.add_argument("--phone", help="the phone the resident shared (+7..., 8..., any spacing)")
    command.set_defaults(func=_run)
