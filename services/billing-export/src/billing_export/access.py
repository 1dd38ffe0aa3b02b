"""Who may call the export API (GET /exports/..., POST /exports/{period}/close): it closes billing
periods and hands out every accepted reading, so it is not for anyone who reaches the port.

- METERBOT_BILLING_EXPORT_TOKEN unset (the default): only this machine may call it (a peer on
  127.0.0.0/8 or ::1); `meterbot export` from another terminal works as before. The service's
  /metrics, /healthz and /readyz on the same port stay open for Prometheus and the probes.
- set: every call needs `Authorization: Bearer <token>`, from anywhere (this is how the API is
  exposed beyond the machine, e.g. in Kubernetes; `meterbot export` sends the token it finds in the
  same variable)."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable

from aiohttp import web
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ExportApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="METERBOT_BILLING_EXPORT_", extra="ignore")

    token: SecretStr | None = None


def _loopback(remote: str | None) -> bool:
    try:
        return remote is not None and ipaddress.ip_address(remote).is_loopback
    except ValueError:
        return False


def allowed(request: web.Request, token: SecretStr | None) -> bool:
    if token is None:
        return _loopback(request.remote)
    given = request.headers.get("Authorization", "").encode("utf-8", "surrogateescape")
    return hmac.compare_digest(given, f"Bearer {token.get_secret_value()}".encode())


def guarded(handler: Handler, token: SecretStr | None) -> Handler:
    async def guard(request: web.Request) -> web.StreamResponse:
        if allowed(request, token):
            return await handler(request)
        if token is None:
            return web.json_response(
                {
                    "error": "forbidden",
                    "detail": "the export API answers this machine only; set METERBOT_BILLING_EXPORT_TOKEN"
                    " to serve it beyond and send it as a bearer token",
                },
                status=403,
            )
        return web.json_response(
            {"error": "unauthorized"}, status=401, headers={"WWW-Authenticate": 'Bearer realm="meterbot"'}
        )

    return guard
