"""/healthz (the process is alive), /readyz (its database and broker answer), /metrics."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web
from prometheus_client import REGISTRY
from prometheus_client.aiohttp import make_aiohttp_handler

ReadinessCheck = Callable[[], Awaitable[bool]]


def health_app(
    checks: Mapping[str, ReadinessCheck], extra_routes: list[web.RouteDef] | None = None
) -> web.Application:
    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_: web.Request) -> web.Response:
        results: dict[str, bool] = {}
        for name, check in checks.items():
            try:
                results[name] = bool(await asyncio.wait_for(check(), timeout=2))
            except Exception:
                results[name] = False
        ready = all(results.values())
        return web.json_response({"ready": ready, "checks": results}, status=200 if ready else 503)

    app = web.Application()
    app.add_routes(
        [
            web.get("/healthz", healthz),
            web.get("/readyz", readyz),
            web.get("/metrics", make_aiohttp_handler(REGISTRY)),
        ]
    )
    app.add_routes(extra_routes or [])
    return app


async def start_http(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
