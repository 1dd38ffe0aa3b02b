"""The archive (issue 13): every meter's value per month and its consumption, from the meter streams.

MeterArchive is a projection like PeriodReadings: its checkpoint is saved in the transaction that
updates the view, and it is rebuilt from zero by ProjectionRunner.rebuild. Which value a month has
and how consumption is counted (across withdrawn and reconciled readings, registry history counting
as readings) is meterbot_contracts.archive -- the same rule the gateway's copy applies.

How residents reach it: the gateway keeps its own copy (`rm_archive`), fed by the same readings
events, the way «Посмотреть переданные показания» is served today (`rm_readings`), not by a query to
this service. Why: the design's rule that menus answer without a round trip to another service
(DESIGN §1); the gateway already consumes exactly these events; a query path (topic or HTTP) would
add a request/reply protocol, a timeout and a failure mode the bot has nowhere else. This view is
the reference one, for operators and other services: GET /accounts/{account}/archive."""

from __future__ import annotations

import asyncpg
from aiohttp import web
from meterbot_contracts.archive import MonthConsumption, archive_changes, consumption, month_values
from meterbot_contracts.readings import MeterType
from meterbot_platform.archive_table import ArchiveTable
from meterbot_platform.eventstore import RecordedEvent
from meterbot_platform.projection import message_of
from pydantic import BaseModel, ConfigDict

_ARCHIVE_TYPES = {"MeterRegistered", "ReadingAccepted", "ReadingWithdrawn", "ReadingReconciled"}

_TABLE = ArchiveTable("meter_archive")


class MeterArchive:
    name = "meter_archive"

    async def apply(self, conn: asyncpg.Connection, event: RecordedEvent) -> None:
        message = message_of(event, _ARCHIVE_TYPES)
        if message is None:
            return
        await _TABLE.apply(conn, archive_changes(message))

    async def clear(self, conn: asyncpg.Connection) -> None:
        await conn.execute("TRUNCATE meter_archive")


class MeterMonths(BaseModel):
    model_config = ConfigDict(frozen=True)

    meter_id: str
    meter_type: MeterType
    months: list[MonthConsumption]  # oldest first, with consumption


async def account_archive(pool: asyncpg.Pool, account_number: str) -> list[MeterMonths]:
    """Every month of every meter the account had, with consumption, by meter id."""
    rows = await pool.fetch(
        "SELECT meter_id, meter_type, period, source, value FROM meter_archive"
        " WHERE account_number = $1 ORDER BY meter_id, period",
        account_number,
    )
    meters: dict[str, list[asyncpg.Record]] = {}
    for row in rows:
        meters.setdefault(row["meter_id"], []).append(row)
    return [
        MeterMonths(
            meter_id=meter_id,
            meter_type=MeterType(found[-1]["meter_type"]),
            months=consumption(month_values((r["period"], r["source"], r["value"]) for r in found)),
        )
        for meter_id, found in meters.items()
    ]


class AccountArchive(BaseModel):
    account_number: str
    meters: list[MeterMonths]


def archive_routes(pool: asyncpg.Pool) -> list[web.RouteDef]:
    """GET /accounts/{account}/archive: the account's archive as JSON (internal, like http.py)."""

    async def archive(request: web.Request) -> web.Response:
        account = request.match_info["account"]
        body = AccountArchive(account_number=account, meters=await account_archive(pool, account))
        return web.Response(text=body.model_dump_json(), content_type="application/json")

    return [web.get("/accounts/{account}/archive", archive)]
