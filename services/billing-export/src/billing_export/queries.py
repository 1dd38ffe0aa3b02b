"""Read side: the period export, streamed straight out of PostgreSQL.

The export view is sent with COPY (SELECT ...) TO STDOUT: the server streams the rows in order and
asyncpg hands them over in chunks as they arrive, awaiting `write` for each one, so a slow client
slows the query down (back-pressure) and no more than one chunk is ever held in memory. It plays
the part of a server-side cursor without a Python round trip per row: rows are formatted (CSV, or
JSON built by PostgreSQL) on the server.

CSV: header row, then account_number,meter_id,meter_type,value,period,submitted_at,reading_id;
JSON: an array of objects with the same keys, one object per line. value is a decimal string (as on
meterbot.billing.readings.v1), submitted_at RFC 3339 UTC with microseconds. Ordered by account and
meter."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

import asyncpg
from meterbot_contracts.readings import Period
from pydantic import BaseModel, ConfigDict

CSV_COLUMNS = ("account_number", "meter_id", "meter_type", "value", "period", "submitted_at", "reading_id")
Write = Callable[[bytes], Awaitable[None]]

_RFC3339 = """to_char(submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
_ORDER = "ORDER BY account_number, meter_id"
_CSV = f"""
    SELECT account_number, meter_id, meter_type, value::text AS value, period,
           {_RFC3339} AS submitted_at, reading_id
    FROM export_lines WHERE period = $1 {_ORDER}
"""
# One JSON object per row after a comma (the first row's is dropped on the way out), built by
# concatenation: twice as fast as json_build_object; to_json escapes the free-text columns, the
# others are enums, numbers, dates and uuids. Sent as CSV with a delimiter and a quote character that
# JSON text never holds unescaped (0x1f, 0x1e), so every line goes out verbatim.
_JSON = f"""
    SELECT ',{{"account_number":' || to_json(account_number) || ',"meter_id":' || to_json(meter_id)
        || ',"meter_type":' || to_json(meter_type) || ',"value":"' || value::text
        || '","period":"' || period || '","submitted_at":"' || {_RFC3339}
        || '","reading_id":"' || reading_id::text || '"}}'
    FROM export_lines WHERE period = $1 {_ORDER}
"""


class ExportSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    period: Period
    closed_at: datetime | None
    readings_count: int  # lines in the export view now

    @property
    def status(self) -> str:
        return "closed" if self.closed_at else "open"


async def export_summary(conn: asyncpg.Connection, period: Period) -> ExportSummary:
    closed_at = await conn.fetchval("SELECT closed_at FROM export_periods WHERE period = $1", period)
    count = await conn.fetchval("SELECT count(*) FROM export_lines WHERE period = $1", period)
    return ExportSummary(period=period, closed_at=closed_at, readings_count=count)


async def stream_csv(conn: asyncpg.Connection, period: Period, write: Write) -> None:
    await conn.copy_from_query(_CSV, period, output=write, format="csv", header=True)


async def stream_json(conn: asyncpg.Connection, period: Period, write: Write) -> None:
    first = True

    async def rows(chunk: bytes) -> None:
        nonlocal first
        if first:  # COPY calls back only with data, and the first byte is the first row's comma
            chunk, first = chunk[1:], False
        await write(chunk)

    await write(b"[\n")
    await conn.copy_from_query(_JSON, period, output=rows, format="csv", delimiter="\x1f", quote="\x1e")
    await write(b"]\n")


STREAMERS: dict[str, Callable[[asyncpg.Connection, Period, Write], Awaitable[None]]] = {
    "csv": stream_csv,
    "json": stream_json,
}
