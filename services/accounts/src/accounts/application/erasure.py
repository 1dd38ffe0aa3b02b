"""A resident asked to be forgotten (identity's ResidentErased on meterbot.identity.events): the chat
is unlinked from every account it is linked to, one AccountUnlinked per account, appended in one
transaction with the inbox claim. readings and the gateway forget the link from those events like
from any unlink. The chat's link-attempts stream stays: it holds no personal data (chat id, account
number, reason), and erasing it would reset the lockout for anyone who asks to be forgotten."""

from __future__ import annotations

from collections.abc import Mapping

import asyncpg
from meterbot_contracts import Envelope, Message
from meterbot_contracts.accounts import AccountLinked, AccountUnlinked, AccountUnlinkRequested
from meterbot_contracts.identity import ResidentErased
from meterbot_platform.application import caused_by, in_transaction
from meterbot_platform.consumer import Handler

from accounts.application.linking import Deps
from accounts.application.streams import ACCOUNT, book
from accounts.domain import decide_unlink

CONSUMER = "accounts:erasure"


async def linked_account_numbers(conn: asyncpg.Connection, chat_id: int) -> list[str]:
    """Every account the chat was ever linked to (index accounts/003), from the events themselves:
    the chat_accounts view may lag behind."""
    rows = await conn.fetch(
        "SELECT DISTINCT data->>'account_number' AS number FROM events"
        " WHERE type = $1 AND data->>'chat_id' = $2 ORDER BY 1",
        AccountLinked.TYPE,
        str(chat_id),
    )
    return [r["number"] for r in rows]


async def forget_chat(
    conn: asyncpg.Connection, deps: Deps, envelope: Envelope, event: ResidentErased
) -> list[AccountUnlinked]:
    """Unlink the erased chat from each account it is still linked to; the events appended."""
    numbers = await linked_account_numbers(conn, event.chat_id)
    streams = book(conn, deps.store)
    await streams.load(ACCOUNT, set(numbers))
    unlinked: list[AccountUnlinked] = []
    for number in numbers:
        request = AccountUnlinkRequested(chat_id=event.chat_id, account_number=number)
        answer = decide_unlink(streams.get(ACCOUNT, number), request)
        if answer:
            streams.record(ACCOUNT, number, caused_by(envelope, answer, deps.clock()), answer)
            unlinked += answer
    await streams.flush()
    return unlinked


def erasure_handlers(pool: asyncpg.Pool, deps: Deps) -> Mapping[type[Message], Handler]:
    async def erased(envelope: Envelope, event: ResidentErased) -> str:
        async def work(conn: asyncpg.Connection) -> str:
            await forget_chat(conn, deps, envelope, event)
            return "accepted"

        return await in_transaction(pool, consumer=CONSUMER, envelope=envelope, work=work)

    return {ResidentErased: erased}
