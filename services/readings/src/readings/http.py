"""HTTP read API on the service port (next to /metrics, /healthz, /readyz), JSON:

    GET /accounts/{account}/readings?period=YYYY-MM   readings that count in a period (default: current)
    GET /meters/{meter_id}/history?limit=N             the meter's archive, newest first (N <= 1000)

Internal, for operators and other services; residents reach readings only through the gateway."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg
from aiohttp import web
from meterbot_contracts.period import is_period
from meterbot_contracts.readings import Period
from pydantic import BaseModel

from readings.queries import HistoryEntry, PeriodReading, meter_history, period_readings

MAX_HISTORY = 1000


class AccountReadings(BaseModel):
    account_number: str
    period: Period
    readings: list[PeriodReading]


class MeterArchive(BaseModel):
    meter_id: str
    readings: list[HistoryEntry]


def _json(body: BaseModel) -> web.Response:
    return web.Response(text=body.model_dump_json(), content_type="application/json")


def routes(pool: asyncpg.Pool, current_period: Callable[[], Period]) -> list[web.RouteDef]:
    async def account_readings(request: web.Request) -> web.Response:
        account = request.match_info["account"]
        period = request.query.get("period") or current_period()
        if not is_period(period):
            raise web.HTTPBadRequest(text="period must be YYYY-MM")
        readings = await period_readings(pool, account, period)
        return _json(AccountReadings(account_number=account, period=period, readings=readings))

    async def history(request: web.Request) -> web.Response:
        try:
            limit = int(request.query.get("limit", "120"))
        except ValueError:
            raise web.HTTPBadRequest(text="limit must be an integer") from None
        if not 1 <= limit <= MAX_HISTORY:
            raise web.HTTPBadRequest(text=f"limit must be 1..{MAX_HISTORY}")
        meter_id = request.match_info["meter_id"]
        return _json(MeterArchive(meter_id=meter_id, readings=await meter_history(pool, meter_id, limit)))

    return [
        web.get("/accounts/{account}/readings", account_readings),
        web.get("/meters/{meter_id}/history", history),
    ]
