"""Views of the account streams, each with its checkpoint saved in the transaction that updates it and
rebuildable from zero (ProjectionRunner.rebuild).

- ChatAccounts: the accounts linked to each chat (table chat_accounts). A family is two rows for one
  account; a registry change of the address reaches every chat linked to the account."""

from __future__ import annotations

import asyncpg
from meterbot_contracts.accounts import AccountLinked, AccountRegistered, AccountUnlinked
from meterbot_platform.eventstore import RecordedEvent
from meterbot_platform.projection import Projection, message_of

_TYPES = {AccountLinked.TYPE, AccountUnlinked.TYPE, AccountRegistered.TYPE}


class ChatAccounts:
    name = "chat_accounts"

    async def apply(self, conn: asyncpg.Connection, event: RecordedEvent) -> None:
        message = message_of(event, _TYPES)
        if message is None:
            return
        if isinstance(message, AccountLinked):
            # linked again (the right pair typed twice): keep the first linked_at
            await conn.execute(
                "INSERT INTO chat_accounts (chat_id, account_number, address, linked_at)"
                " VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (chat_id, account_number) DO UPDATE SET address = excluded.address",
                message.chat_id,
                message.account_number,
                message.address,
                event.occurred_at,
            )
        elif isinstance(message, AccountUnlinked):
            await conn.execute(
                "DELETE FROM chat_accounts WHERE chat_id = $1 AND account_number = $2",
                message.chat_id,
                message.account_number,
            )
        elif isinstance(message, AccountRegistered) and event.stream_version > 1:
            # a stream's first event cannot concern a linked chat (linking needs the registration):
            # the bulk of a first import costs no statement here
            await conn.execute(
                "UPDATE chat_accounts SET address = $2 WHERE account_number = $1 AND address <> $2",
                message.account_number,
                message.address,
            )

    async def clear(self, conn: asyncpg.Connection) -> None:
        await conn.execute("TRUNCATE chat_accounts")


def projections() -> list[Projection]:
    return [ChatAccounts()]
