"""The archive in the gateway's read model (`rm_archive`): every meter's value per month, fed by the
readings events the gateway already consumes, in the transaction that claims them.

Why a copy here rather than a query to readings (whose `meter_archive` projection is the reference
view): «Посмотреть переданные показания» is served the same way (rm_readings), menus answer without a
round trip to another service (DESIGN §1), and no request/reply path, timeout or outage of readings
can stand between a resident and their history. Both views apply one rule,
meterbot_contracts.archive (which value a month has, consumption), so they cannot disagree.

Lookups are scoped to the chat (the account must be linked to it), like every read-model lookup."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import groupby

import asyncpg
from meterbot_contracts import Message
from meterbot_contracts.archive import MonthConsumption, archive_changes, consumption, month_values
from meterbot_contracts.readings import MeterType
from meterbot_platform.archive_table import ArchiveTable

_TABLE = ArchiveTable("rm_archive")


async def apply_archive(conn: asyncpg.Connection, messages: Sequence[Message]) -> None:
    """The archive's changes for `messages`, in order."""
    await _TABLE.apply(conn, [change for message in messages for change in archive_changes(message)])


@dataclass(frozen=True)
class MeterArchive:
    meter_id: str
    meter_type: MeterType
    months: list[MonthConsumption]  # oldest first


@dataclass(frozen=True)
class LastValue:
    value: Decimal
    recorded_at: datetime


class ArchiveQueries:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def archive(self, chat_id: int, account_number: str) -> list[MeterArchive]:
        """Every meter the account had, with each month's value and consumption (by meter type, id)."""
        rows = await self._pool.fetch(
            """SELECT a.meter_id, a.meter_type, a.period, a.source, a.value FROM rm_archive a
               JOIN rm_links l ON l.account_number = a.account_number AND l.chat_id = $1
               WHERE a.account_number = $2 ORDER BY a.meter_type, a.meter_id, a.period""",
            chat_id,
            account_number,
        )
        return [
            MeterArchive(
                meter_id,
                MeterType(found[-1]["meter_type"]),
                consumption(month_values((r["period"], r["source"], r["value"]) for r in found)),
            )
            for meter_id, group in groupby(rows, key=lambda r: r["meter_id"])
            for found in [list(group)]
        ]

    async def last_values(self, chat_id: int, account_number: str) -> dict[str, LastValue]:
        """Per meter: the value of its latest month (a reading that counts, else the registry's)."""
        rows = await self._pool.fetch(
            """SELECT DISTINCT ON (a.meter_id) a.meter_id, a.value, a.recorded_at FROM rm_archive a
               JOIN rm_links l ON l.account_number = a.account_number AND l.chat_id = $1
               WHERE a.account_number = $2
               ORDER BY a.meter_id, a.period DESC, a.source = 'reading' DESC""",
            chat_id,
            account_number,
        )
        return {r["meter_id"]: LastValue(r["value"], r["recorded_at"]) for r in rows}


def years_of(archive: Sequence[MeterArchive]) -> list[int]:
    """The years with at least one month of data, oldest first."""
    return sorted({int(m.period[:4]) for meter in archive for m in meter.months})
