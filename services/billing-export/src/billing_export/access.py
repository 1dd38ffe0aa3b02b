"""Who may call the export API (GET /exports/..., POST /exports/{period}/close): it closes billing
periods and hands out every accepted reading, so it is not for anyone who reaches the port.

The API shares the service's HTTP port with /metrics, /healthz and /readyz (Prometheus and the
probes must reach those from the network; one port keeps compose, k8s and `meterbot up` simple).
So the rule depends on where that port is bound (METERBOT_HTTP_HOST):

- bound to loopback (127.0.0.1, ::1, localhost; `meterbot up` always binds so): without
  METERBOT_BILLING_EXPORT_TOKEN the API answers this machine only, as a localhost bind would; the
  peer's address is checked as well, in case the listener is ever moved;
- bound to anything else (0.0.0.0, the default of a service started alone, compose, k8s): the
  token is required. Without it the service refuses to start (ExportApiExposed) rather than serve a
  period-closing API to the network or to whatever reaches it through a same-host proxy or a mesh
  sidecar (their connections arrive from loopback addresses, so a peer check alone would let them in);
- with the token set, every call needs `Authorization: Bearer <token>`, from anywhere, loopback
  included (`meterbot export` sends the token it finds in the same variable)."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable

from aiohttp import web
from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
TOKEN_MIN_LENGTH = 16


class ExportApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="METERBOT_BILLING_EXPORT_", extra="ignore")

    token: SecretStr | None = Field(default=None, min_length=TOKEN_MIN_LENGTH)


class ExportApiExposed(RuntimeError):
    """The export API would be reachable beyond this machine without a token: do not start."""


def _loopback(address: str | None) -> bool:
    if address == "localhost":
        return True
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:  # a host name, "" or "0.0.0.0"-like wildcards are not loopback
        return False


def listens_on_loopback(http_host: str) -> bool:
    return _loopback(http_host)


def export_token(http_host: str) -> SecretStr | None:
    """The API's token from METERBOT_BILLING_EXPORT_TOKEN, checked against the bind address;
    ExportApiExposed (a message for the operator, never the token's value) when it is unusable."""
    try:
        token = ExportApiSettings().token
    except ValidationError:
        raise ExportApiExposed(
            f"METERBOT_BILLING_EXPORT_TOKEN is too short (at least {TOKEN_MIN_LENGTH} characters): "
            "billing-export refuses to start"
        ) from None
    if token is None and not listens_on_loopback(http_host):
        raise ExportApiExposed(
            f"billing-export listens on {http_host or 'every interface'} (METERBOT_HTTP_HOST) and "
            "METERBOT_BILLING_EXPORT_TOKEN is not set: the export API (it closes billing periods) would "
            "answer without a token, so billing-export refuses to start. Set the token (16+ random "
            "characters; k8s Secret meterbot-secrets, compose's .env) and send it as "
            "`Authorization: Bearer <token>`, or bind to 127.0.0.1 (METERBOT_HTTP_HOST)."
        )
    return token


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
