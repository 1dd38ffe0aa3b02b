"""What the bot asks the read model for the information pages and the administrator's tools
(issue 15). Like queries.py: every lookup for a resident is scoped to the chat's links."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import asyncpg


@dataclass(frozen=True)
class BalanceView:
    account_number: str
    amount_due: Decimal
    currency: str
    as_of: date
    due_date: date | None


@dataclass(frozen=True)
class Stats:
    residents: int
    linked_accounts: int
    readings_by_status: dict[str, int]


@dataclass(frozen=True)
class MissingRow:
    account_number: str
    address: str
    meter_id: str
    meter_type: str
    linked_chats: int


@dataclass(frozen=True)
class MeterLast:
    meter_id: str
    meter_type: str
    value: Decimal | None
    period: str | None


@dataclass(frozen=True)
class AccountCard:
    account_number: str
    address: str
    linked_chats: int
    meters: list[MeterLast]


# The registry's address, else the one a link carries (both come from accounts; a link may come first).
_ADDRESS = (
    "coalesce(nullif(a.address, ''), (SELECT l.address FROM rm_links l"
    " WHERE l.account_number = m.account_number AND l.address <> '' LIMIT 1), '')"
)


class InfoQueries:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def balance(self, chat_id: int, account_number: str) -> BalanceView | None:
        row = await self._pool.fetchrow(
            "SELECT b.* FROM rm_balances b JOIN rm_links l ON l.account_number = b.account_number"
            " AND l.chat_id = $1 WHERE b.account_number = $2",
            chat_id,
            account_number,
        )
        if row is None:
            return None
        return BalanceView(
            row["account_number"], row["amount_due"], row["currency"], row["as_of"], row["due_date"]
        )

    async def balance_of(self, account_number: str) -> BalanceView | None:
        """The administrator's lookup (not scoped to a chat)."""
        row = await self._pool.fetchrow("SELECT * FROM rm_balances WHERE account_number = $1", account_number)
        if row is None:
            return None
        return BalanceView(
            row["account_number"], row["amount_due"], row["currency"], row["as_of"], row["due_date"]
        )

    async def stats(self, period: str) -> Stats:
        residents = await self._pool.fetchval("SELECT count(*) FROM rm_chats")
        linked = await self._pool.fetchval("SELECT count(DISTINCT account_number) FROM rm_links")
        rows = await self._pool.fetch(
            "SELECT status, count(*) AS n FROM rm_readings WHERE period = $1 GROUP BY status ORDER BY status",
            period,
        )
        return Stats(int(residents), int(linked), {r["status"]: int(r["n"]) for r in rows})

    async def missing(self, period: str) -> list[MissingRow]:
        """Every open meter without a reading that counts this period, with its account."""
        rows = await self._pool.fetch(
            f"""SELECT m.account_number, {_ADDRESS} AS address, m.meter_id, m.meter_type,
                      (SELECT count(*) FROM rm_links l WHERE l.account_number = m.account_number) AS linked
               FROM rm_meters m LEFT JOIN rm_accounts a ON a.account_number = m.account_number
               WHERE NOT m.closed AND NOT EXISTS (
                   SELECT 1 FROM rm_readings r WHERE r.meter_id = m.meter_id AND r.period = $1
                   AND r.status = 'current')
               ORDER BY m.account_number, m.meter_id""",
            period,
        )
        return [
            MissingRow(r["account_number"], r["address"], r["meter_id"], r["meter_type"], int(r["linked"]))
            for r in rows
        ]

    async def account_card(self, account_number: str) -> AccountCard | None:
        """An account as the administrator sees it: no chat ids, no phones."""
        address = await self._pool.fetchval(
            f"SELECT {_ADDRESS} FROM (SELECT $1::text AS account_number) m"
            " LEFT JOIN rm_accounts a ON a.account_number = m.account_number",
            account_number,
        )
        linked = int(
            await self._pool.fetchval(
                "SELECT count(*) FROM rm_links WHERE account_number = $1", account_number
            )
        )
        rows = await self._pool.fetch(
            """SELECT m.meter_id, m.meter_type, r.value, r.period FROM rm_meters m
               LEFT JOIN LATERAL (SELECT value, period FROM rm_readings WHERE meter_id = m.meter_id
                                  AND status = 'current' ORDER BY period DESC LIMIT 1) r ON true
               WHERE m.account_number = $1 AND NOT m.closed ORDER BY m.meter_type, m.meter_id""",
            account_number,
        )
        registered = await self._pool.fetchval(
            "SELECT true FROM rm_accounts WHERE account_number = $1", account_number
        )
        if not registered and not linked and not rows:
            return None
        meters = [MeterLast(r["meter_id"], r["meter_type"], r["value"], r["period"]) for r in rows]
        return AccountCard(account_number, address or "", linked, meters)

    async def last_reading_at(self, account_number: str) -> datetime | None:
        at: datetime | None = await self._pool.fetchval(
            "SELECT max(submitted_at) FROM rm_readings WHERE account_number = $1 AND status = 'current'",
            account_number,
        )
        return at

    async def open_meters_count(self, account_number: str) -> int:
        return int(
            await self._pool.fetchval(
                "SELECT count(*) FROM rm_meters WHERE account_number = $1 AND NOT closed", account_number
            )
        )

    async def owner_masked(self, account_number: str) -> str | None:
        owner: str | None = await self._pool.fetchval(
            "SELECT owner_masked FROM rm_account_owners WHERE account_number = $1", account_number
        )
        return owner

    async def chosen_locale(self, chat_id: int) -> str | None:
        locale: str | None = await self._pool.fetchval(
            "SELECT locale FROM chat_languages WHERE chat_id = $1", chat_id
        )
        return locale

    async def choose_locale(self, chat_id: int, locale: str) -> None:
        await self._pool.execute(
            "INSERT INTO chat_languages (chat_id, locale) VALUES ($1, $2)"
            " ON CONFLICT (chat_id) DO UPDATE SET locale = EXCLUDED.locale",
            chat_id,
            locale,
        )

    async def is_subscribed(self, chat_id: int) -> bool:
        return bool(
            await self._pool.fetchval("SELECT true FROM news_subscribers WHERE chat_id = $1", chat_id)
        )

    async def subscribe(self, chat_id: int, on: bool) -> None:
        if on:
            await self._pool.execute(
                "INSERT INTO news_subscribers (chat_id) VALUES ($1) ON CONFLICT DO NOTHING", chat_id
            )
        else:
            await self._pool.execute("DELETE FROM news_subscribers WHERE chat_id = $1", chat_id)

    async def subscribers(self) -> list[int]:
        """Registered chats that asked for news pushes."""
        rows = await self._pool.fetch(
            "SELECT s.chat_id FROM news_subscribers s JOIN rm_chats c USING (chat_id) ORDER BY s.chat_id"
        )
        return [int(r["chat_id"]) for r in rows]

    async def registered_chats(self) -> list[int]:
        return [
            int(r["chat_id"]) for r in await self._pool.fetch("SELECT chat_id FROM rm_chats ORDER BY chat_id")
        ]


def mask_surname(surname: str) -> str:
    """The first letter of each part, the rest hidden: «Мамин-Сибиряк» -> «М****-С******»."""
    parts = surname.strip().split("-")
    return "-".join(p[:1].upper() + "*" * (len(p) - 1) for p in parts if p)


async def remember_owner(conn: asyncpg.Connection, account_number: str, surname: str) -> None:
    """The surname a resident typed for a link accounts accepted is the owner's: kept masked only."""
    await conn.execute(
        "INSERT INTO rm_account_owners (account_number, owner_masked) VALUES ($1, $2)"
        " ON CONFLICT (account_number) DO UPDATE SET owner_masked = EXCLUDED.owner_masked",
        account_number,
        mask_surname(surname),
    )
