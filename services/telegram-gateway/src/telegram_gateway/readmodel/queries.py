"""What the bot asks the read model. Every lookup by an id from a button is scoped to the chat,
so a forged button finds nothing (callback data is never trusted)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import asyncpg
from meterbot_contracts.previous_value import previous_value
from meterbot_contracts.readings import MeterType

from telegram_gateway.readmodel.archive import ArchiveQueries


@dataclass(frozen=True)
class LinkedAccount:
    number: str
    address: str


@dataclass(frozen=True)
class MeterView:
    meter_id: str
    account_number: str
    meter_type: MeterType
    serial_number: str
    verified_until: date | None
    last_value: Decimal | None
    closed: bool = False
    last_value_date: date | None = None
    initial_value: Decimal | None = None


@dataclass(frozen=True)
class PeriodReading:
    meter: MeterView
    value: Decimal
    submitted_at: datetime
    status: str = "current"  # or "refused": billing did not count it (ReadingReconciled)


def _meter(row: asyncpg.Record) -> MeterView:
    return MeterView(
        row["meter_id"],
        row["account_number"],
        MeterType(row["meter_type"]),
        row["serial_number"],
        row["verified_until"],
        row["last_value"],
        row["closed"],
        row["last_value_date"],
        row["initial_value"],
    )


_METER_COLUMNS = (
    "m.meter_id, m.account_number, m.meter_type, m.serial_number, m.verified_until, m.last_value, m.closed,"
    " m.last_value_date, m.initial_value"
)


class ReadModel:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def language(self, chat_id: int) -> str | None:
        """The chat's language for messages nobody asked for (None: the default): the one chosen
        with /language, else its Telegram language code."""
        language: str | None = await self._pool.fetchval(
            "SELECT coalesce((SELECT locale FROM chat_languages WHERE chat_id = $1), language)"
            " FROM rm_chats WHERE chat_id = $1",
            chat_id,
        )
        return language

    async def is_registered(self, chat_id: int) -> bool:
        return bool(await self._pool.fetchval("SELECT true FROM rm_chats WHERE chat_id = $1", chat_id))

    async def accounts(self, chat_id: int) -> list[LinkedAccount]:
        rows = await self._pool.fetch(
            # by number, as residents look for them (shorter numbers first: 99 before 100)
            "SELECT account_number, address FROM rm_links WHERE chat_id = $1"
            " ORDER BY length(account_number), account_number",
            chat_id,
        )
        return [LinkedAccount(r["account_number"], r["address"]) for r in rows]

    async def meters(self, chat_id: int, account_number: str) -> list[MeterView]:
        """Open meters of an account linked to this chat (none if it is not linked)."""
        rows = await self._pool.fetch(
            f"""SELECT {_METER_COLUMNS} FROM rm_meters m
                JOIN rm_links l ON l.account_number = m.account_number AND l.chat_id = $1
                WHERE m.account_number = $2 AND NOT m.closed ORDER BY m.meter_type, m.meter_id""",
            chat_id,
            account_number,
        )
        return [_meter(r) for r in rows]

    async def meters_of_chat(self, chat_id: int, *, with_closed: bool = False) -> list[MeterView]:
        """Meters of the accounts linked to this chat (open ones, or also the closed ones)."""
        rows = await self._pool.fetch(
            f"""SELECT {_METER_COLUMNS} FROM rm_meters m
                JOIN rm_links l ON l.account_number = m.account_number AND l.chat_id = $1
                WHERE $2 OR NOT m.closed ORDER BY m.account_number, m.meter_type, m.meter_id""",
            chat_id,
            with_closed,
        )
        return [_meter(r) for r in rows]

    async def period_closed(self, period: str) -> bool:
        return bool(await self._pool.fetchval("SELECT true FROM rm_closed_periods WHERE period = $1", period))

    async def link_locked_until(self, chat_id: int, now: datetime) -> datetime | None:
        """When the chat's link lockout ends, if it is locked out at `now`."""
        until: datetime | None = await self._pool.fetchval(
            "SELECT locked_until FROM rm_link_locks WHERE chat_id = $1 AND locked_until > $2", chat_id, now
        )
        return until

    async def previous_value(self, meter: MeterView, period: str) -> Decimal | None:
        """The value the next reading is checked against, as the resident is told: the one rule
        readings checks with (meterbot_contracts.previous_value), fed from this read model."""
        row = await self._pool.fetchrow(
            "SELECT period, value FROM rm_readings WHERE meter_id = $1 AND period < $2 AND status = 'current'"
            " ORDER BY period DESC LIMIT 1",
            meter.meter_id,
            period,
        )
        last = (row["period"], row["value"]) if row is not None else None
        return previous_value(last, meter.last_value, meter.last_value_date, meter.initial_value)

    async def period_readings(
        self, chat_id: int, account_number: str, period: str, *, with_refused: bool = False
    ) -> list[PeriodReading]:
        """The readings that count for the period (and, `with_refused`, those billing refused)."""
        rows = await self._pool.fetch(
            f"""SELECT {_METER_COLUMNS}, r.value, r.submitted_at, r.status FROM rm_readings r
                JOIN rm_meters m ON m.meter_id = r.meter_id
                JOIN rm_links l ON l.account_number = r.account_number AND l.chat_id = $1
                WHERE r.account_number = $2 AND r.period = $3
                  AND (r.status = 'current' OR ($4 AND r.status = 'refused'))
                ORDER BY m.meter_type, m.meter_id, r.submitted_at""",
            chat_id,
            account_number,
            period,
            with_refused,
        )
        return [PeriodReading(_meter(r), r["value"], r["submitted_at"], r["status"]) for r in rows]

    @property
    def archive(self) -> ArchiveQueries:
        """The archive's lookups (readmodel/archive.py)."""
        return ArchiveQueries(self._pool)
