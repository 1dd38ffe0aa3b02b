"""HTTP API on the service port (next to /metrics, /healthz, /readyz):

    GET  /exports/{period}.csv | .json   stream the period's export (chunked; never held in memory)
    GET  /exports/{period}               {"period", "status": open|closed, "closed_at", "readings_count"}
    POST /exports/{period}/close[?force=1]  close the period: {"period", "closed_at", "readings_count",
                                         "closed_now"}; 409 if the period has not begun yet, or is
                                         the current one and force is not given

Closing is a POST of its own, never a side effect of a GET (proxies, prefetchers and retries replay
GETs freely). `meterbot export` only downloads; `meterbot period close` (or export --close) closes.
An export first brings the view up to every event committed before the request, so the export of a
closed period is complete and final. Response headers X-Meterbot-Period-Status and
X-Meterbot-Readings-Count describe the body, read in the same snapshot."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from uuid import uuid4

import asyncpg
from aiohttp import web
from meterbot_contracts.period import Period, is_period
from meterbot_platform.projection import ProjectionRunner
from pydantic import SecretStr

from billing_export import SERVICE
from billing_export.access import guarded
from billing_export.application.closing import ClosedPeriod, PeriodIsCurrent, PeriodNotStarted
from billing_export.metrics import EXPORTED_ROWS, PERIODS_CLOSED
from billing_export.queries import STREAMERS, export_summary

Close = Callable[[Period, str, bool], Awaitable[ClosedPeriod]]  # (period, correlation id, force)
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json; charset=utf-8"}


class Coalescing:
    """COPY hands over pieces of ~10 KB; sending each as its own HTTP chunk costs more than the
    data. Pieces are gathered up to CHUNK bytes, so memory stays bounded by one chunk."""

    CHUNK = 256 * 1024

    def __init__(self, response: web.StreamResponse) -> None:
        self._response, self._pending = response, bytearray()

    async def write(self, data: bytes) -> None:
        self._pending += data
        if len(self._pending) >= self.CHUNK:
            await self.flush()

    async def flush(self) -> None:
        if self._pending:
            await self._response.write(bytes(self._pending))
            self._pending.clear()


def _period(request: web.Request) -> Period:
    period = request.match_info["period"]
    if not is_period(period):
        raise web.HTTPBadRequest(text="period must be YYYY-MM (month 01..12)")
    return period


def routes(
    pool: asyncpg.Pool, view: ProjectionRunner, close: Close, token: SecretStr | None = None
) -> list[web.RouteDef]:
    """The export API, guarded by billing_export.access (this machine only, or a bearer token)."""

    async def export(request: web.Request) -> web.StreamResponse:
        period, fmt = _period(request), request.match_info["fmt"]
        await view.catch_up()
        async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            summary = await export_summary(conn, period)
            response = web.StreamResponse(
                headers={
                    "Content-Type": CONTENT_TYPES[fmt],
                    "Content-Disposition": f'attachment; filename="readings-{period}.{fmt}"',
                    "X-Meterbot-Period-Status": summary.status,
                    "X-Meterbot-Readings-Count": str(summary.readings_count),
                }
            )
            response.enable_chunked_encoding()
            await response.prepare(request)
            body = Coalescing(response)
            await STREAMERS[fmt](conn, period, body.write)
            await body.flush()
        await response.write_eof()
        EXPORTED_ROWS.labels(SERVICE, fmt).inc(summary.readings_count)
        return response

    async def status(request: web.Request) -> web.Response:
        period = _period(request)
        await view.catch_up()
        async with pool.acquire() as conn:
            summary = await export_summary(conn, period)
        return web.json_response(
            {
                "period": period,
                "status": summary.status,
                "closed_at": summary.closed_at.isoformat() if summary.closed_at else None,
                "readings_count": summary.readings_count,
            }
        )

    async def close_route(request: web.Request) -> web.Response:
        period = _period(request)
        try:
            correlation_id = request.headers.get("X-Correlation-Id") or str(uuid4())
            result = await close(period, correlation_id, request.query.get("force") in ("1", "true"))
        except PeriodNotStarted as exc:
            return web.json_response({"error": "period_not_started", "detail": str(exc)}, status=409)
        except PeriodIsCurrent as exc:
            return web.json_response({"error": "period_is_current", "detail": str(exc)}, status=409)
        if result.closed_now:
            PERIODS_CLOSED.labels(SERVICE).inc()
        await view.catch_up()
        return web.json_response(
            {
                "period": period,
                "closed_at": result.closed.closed_at.isoformat(),
                "readings_count": result.closed.readings_count,
                "closed_now": result.closed_now,
            }
        )

    return [
        web.get(r"/exports/{period:[0-9]{4}-[0-9]{2}}.{fmt:csv|json}", guarded(export, token)),
        web.get(r"/exports/{period:[0-9]{4}-[0-9]{2}}", guarded(status, token)),
        web.post(r"/exports/{period:[0-9]{4}-[0-9]{2}}/close", guarded(close_route, token)),
    ]
